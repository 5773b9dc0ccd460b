import { Option, type Command } from 'commander'
import { CONFIG_FILE_VARIABLE, SERVICES, explainConfig, loadConfig, namespaceIssues, type ConfigIssue, type StrataService } from '@strata/config'
import { isStrataError } from '@strata/core'
import { CliFailure, EXIT, type CliIo } from '../cli-io.js'

const serviceOption = () => new Option('-s, --service <name>', 'only the settings this service reads (default: every setting)').choices(SERVICES)

/** `strata config validate [file]` and `strata config explain`, for the whole configuration or one service. */
export function configCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('validate a configuration file, or show the effective configuration of any service')

  config
    .command('validate')
    .argument('[file]', `YAML or JSON configuration file (default: $${CONFIG_FILE_VARIABLE})`)
    .option('--no-env', 'ignore STRATA_* variables (check the file alone)')
    .addOption(serviceOption())
    .description('check a file (and the environment over it) against the schema of every service; exit 2 with every problem listed')
    .action((file: string | undefined, options: { env: boolean; service?: StrataService }) => {
      const env = options.env ? io.env : {}
      const chosen = file ?? (env[CONFIG_FILE_VARIABLE] || undefined)
      const loaded = loadValidConfig(chosen, env)
      for (const warning of loaded.warnings) io.err(`warning: ${warning}\n`)
      io.out(`${chosen ?? 'the environment'}: valid${options.service === undefined ? '' : ` for ${options.service}`}\n`)
    })

  config
    .command('explain')
    .option('-c, --config <file>', `YAML or JSON configuration file (default: $${CONFIG_FILE_VARIABLE})`)
    .addOption(serviceOption())
    .option('--json', 'print JSON instead of a table')
    .description('the effective configuration and where each value came from (default, file or environment); secrets are never printed')
    .action((options: { config?: string; service?: StrataService; json?: boolean }) => {
      const loaded = loadValidConfig(options.config ?? (io.env[CONFIG_FILE_VARIABLE] || undefined), io.env)
      for (const warning of loaded.warnings) io.err(`warning: ${warning}\n`)
      const rows = explainConfig(loaded, options.service)
      if (options.json === true) {
        io.out(`${JSON.stringify(rows, null, 2)}\n`)
        return
      }
      const text = rows.map((row) => [row.setting, row.value === undefined ? '(unset)' : JSON.stringify(row.value), row.source, row.variable])
      io.out(table(['setting', 'value', 'source', 'variable'], text))
    })
}

/** The configuration of `file` and `env`, or a usage failure listing every problem with its field and source. */
export function loadValidConfig(file: string | undefined, env: NodeJS.ProcessEnv) {
  try {
    // The gateway's namespace policies are checked with the admin API's own schema, as the gateway does at start.
    return loadConfig({ env, ...(file === undefined ? {} : { file }), refine: namespaceIssues })
  } catch (error) {
    if (!isStrataError(error, 'E_CONFIG_INVALID')) throw error
    const issues = error.context.issues as ConfigIssue[]
    const lines = issues.map((issue) => `  ${issue.path}: ${issue.message}  [${issue.source}]`)
    throw new CliFailure(`invalid configuration${file === undefined ? '' : ` in ${file}`} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${lines.join('\n')}`, EXIT.usage)
  }
}

export function table(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = headers.map((header, column) => Math.max(header.length, ...rows.map((row) => (row[column] ?? '').length)))
  const line = (cells: readonly string[]) => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd()
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`
}
