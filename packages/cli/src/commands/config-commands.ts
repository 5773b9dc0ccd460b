import type { Command } from 'commander'
import { ENV_OF, describeSource, readGatewayConfig, type ConfigIssue, type GatewayConfigField } from '@strata/config'
import { isStrataError } from '@strata/core'
import { CliFailure, EXIT, type CliIo } from '../cli-io.js'

/** `strata config validate <file>` and `strata config explain`. */
export function configCommands(program: Command, io: CliIo): void {
  const config = program.command('config').description('validate a configuration file, or show the effective configuration')

  config
    .command('validate')
    .argument('<file>', 'YAML or JSON configuration file')
    .option('--no-env', 'ignore STRATA_* / HOST / PORT variables (check the file alone)')
    .description('check a file (and the environment over it) against the gateway schema; exit 2 with every problem listed')
    .action((file: string, options: { env: boolean }) => {
      load(file, options.env ? io.env : {})
      io.out(`${file}: valid\n`)
    })

  config
    .command('explain')
    .option('-c, --config <file>', 'YAML or JSON configuration file (default: $STRATA_CONFIG_FILE)')
    .option('--json', 'print JSON instead of a table')
    .description('the effective configuration and where each value came from (default, file or environment)')
    .action((options: { config?: string; json?: boolean }) => {
      const loaded = load(options.config ?? (io.env.STRATA_CONFIG_FILE || undefined), io.env)
      const rows = (Object.keys(ENV_OF) as GatewayConfigField[]).map((field) => ({
        setting: field,
        // Secrets (the bootstrap key, encryption keys, the database URL with its password) are never printed.
        value: ENV_OF[field].secret === true && loaded.config[field] !== '' ? '[secret]' : loaded.config[field],
        source: describeSource(loaded.sources[field]),
        variable: ENV_OF[field].name,
      }))
      if (options.json === true) {
        io.out(`${JSON.stringify(rows, null, 2)}\n`)
        return
      }
      const text = rows.map((row) => [row.setting, row.value === undefined ? '(unset)' : JSON.stringify(row.value), row.source, row.variable])
      io.out(table(['setting', 'value', 'source', 'variable'], text))
    })
}

function load(file: string | undefined, env: NodeJS.ProcessEnv) {
  try {
    return readGatewayConfig({ env, ...(file === undefined ? {} : { file }) })
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
