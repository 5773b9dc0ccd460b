import type { Command } from 'commander'
import { isStrataError } from '@strata/core'
import { loadRulesFile } from '@strata/invalidation'
import { CliFailure, EXIT, type CliIo } from '../cli-io.js'

/** `strata rules check <file>`: the invalidator's start-up check of a rules file, without starting anything. */
export function rulesCommands(program: Command, io: CliIo): void {
  const rules = program.command('rules').description('invalidation rules (the one dialect of @strata/invalidation)')
  rules
    .command('check')
    .argument('<file>', 'rules YAML, as STRATA_INVALIDATOR_RULES names it')
    .description('check a rules file as the invalidator does at start; exit 2 with file:line and the rule when it is wrong')
    .action((file: string) => {
      try {
        const set = loadRulesFile(file)
        io.out(`${file}: valid (${set.rules.length} rules on ${set.topics.length} topics, ${set.schedules.length} schedules)\n`)
      } catch (error) {
        if (isStrataError(error, 'E_RULES_INVALID')) throw new CliFailure(error.message, EXIT.usage)
        throw error
      }
    })
}
