import { Command, CommanderError } from 'commander'
import { StrataError } from '@strata/core'
import { CliFailure, EXIT, type CliIo } from './cli-io.js'
import { configCommands } from './commands/config-commands.js'
import { credentialHint } from './credentials.js'
import { eventCommands } from './commands/event-commands.js'
import { gatewayCommands } from './commands/gateway-commands.js'
import { localCommands } from './commands/local-commands.js'
import { rulesCommands } from './commands/rules-commands.js'

/** Runs `strata <argv>` against `io`; resolves with the exit code (0 done, 1 failed, 2 bad usage or input). */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  let exitCode: number = EXIT.ok
  const program = new Command('strata')
    .description('Strata: the event-driven multi-tier cache — platform, keys, invalidation, stats, benchmarks, configuration')
    .option('--url <url>', 'gateway base URL (default $STRATA_URL or http://127.0.0.1:8080)')
    .option('--api-key <key>', 'API key, sent as a bearer token (default $STRATA_KEY, or $STRATA_API_KEY)')
    .option('--timeout <ms>', 'per-request timeout')
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })
  configCommands(program, io)
  gatewayCommands(program, io)
  rulesCommands(program, io)
  eventCommands(program, io)
  localCommands(program, io, (code) => {
    exitCode = code
  })
  for (const command of program.commands) command.exitOverride().configureOutput({ writeOut: (text) => io.out(text), writeErr: (text) => io.err(text) })

  try {
    await program.parseAsync([...argv], { from: 'user' })
    return exitCode
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version are answers; anything else commander refuses is a usage mistake.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' || error.code === 'commander.help' ? EXIT.ok : EXIT.usage
    }
    if (error instanceof CliFailure) {
      io.err(`strata: ${error.message}\n`)
      return error.exitCode
    }
    if (error instanceof StrataError) {
      io.err(`strata: ${error.message}\n${credentialHint(error, program.opts<{ apiKey?: string }>(), io.env)}`)
      return EXIT.failed
    }
    io.err(`strata: ${error instanceof Error ? error.message : String(error)}\n`)
    return EXIT.failed
  }
}

/** The process entry point (bin/strata.js). */
export function main(argv: readonly string[]): Promise<number> {
  return runCli(argv, { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text), env: process.env })
}
