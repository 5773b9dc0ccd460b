import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { join, relative } from 'node:path'
import { requireKafka, requirePostgres, requireQueueRedis, requireRedis } from '@strata/testkit'
import { extractCodeBlocks } from './code-blocks.js'
import { CONFIG_LOADERS } from './config-loaders.js'
import { checkDestructive } from './destructive-check.js'
import { checkPrintedOutput } from './output-check.js'
import { infraEnv, startDocPlatform } from './doc-platform.js'
import { runProgram } from './program-runner.js'
import { planSamples, type Sample } from './sample-plan.js'
import { ShellSession } from './shell-session.js'

export interface DocFailure {
  /** `docs/guides/gateway.md:42` */
  where: string
  info: string
  reason: string
  output: string
}

export interface DocRun {
  /**
   * Blocks executed (sh, ts/js, validated configs), blocks checked only (skip=destructive), output blocks, and
   * stack=docker blocks (left to the compose test); `checked` counts `text check` blocks compared with real output.
   */
  counts: { shell: number; program: number; config: number; destructive: number; output: number; docker: number; checked: number }
  failures: DocFailure[]
}

export interface RunDocOptions {
  root: string
  /** Per block; a background command's readiness wait has the same budget. Default 120 s (sh), 60 s (ts/js). */
  shellTimeoutMs?: number
  programTimeoutMs?: number
}

/**
 * Runs every code block of one Markdown file per doc-samples-convention.md and reports the first failure (a failed
 * sh block ends the file's session, and later blocks usually depend on earlier ones) or the plan's issues (an unknown
 * language or attribute fails the file before anything runs).
 */
export async function runDoc(file: string, options: RunDocOptions): Promise<DocRun> {
  const name = relative(options.root, file)
  const counts = { shell: 0, program: 0, config: 0, destructive: 0, output: 0, docker: 0, checked: 0 }
  const { samples, issues } = planSamples(extractCodeBlocks(readFileSync(file, 'utf8')))
  if (issues.length > 0) return { counts, failures: issues.map((issue) => ({ where: `${name}:${issue.line}`, info: '', reason: issue.message, output: '' })) }
  counts.output = samples.filter((sample) => sample.kind === 'output').length
  counts.docker = samples.filter((sample) => sample.kind === 'docker').length
  const runnable = samples.filter((sample) => sample.kind !== 'output' && sample.kind !== 'docker')
  if (runnable.length === 0) return { counts, failures: [] }

  const samplesDir = join(options.root, 'packages', 'docs', '.samples')
  mkdirSync(samplesDir, { recursive: true })
  const workDir = mkdtempSync(join(samplesDir, `${name.replace(/[^\w]+/g, '-')}-`))
  // The platform runs as its own process (a few seconds to start): only for a doc whose samples talk to it.
  const needsPlatform = runnable.some((sample) => (sample.kind === 'shell' && !sample.destructive) || sample.kind === 'program' || (sample.kind === 'config' && sample.loader === 'namespace-spec'))
  const platform = needsPlatform ? await startDocPlatform() : undefined
  const platformEnv = platform?.env ?? {}
  const baseEnv = { ...process.env, ...platformEnv }
  const session = runnable.some((sample) => sample.kind === 'shell' && !sample.destructive) ? new ShellSession(options.root, workDir, baseEnv) : undefined
  const failures: DocFailure[] = []
  // What the last sh block printed (a background command: its log so far), for a `text check` block after it.
  let lastPrinted: string | undefined
  try {
    for (const sample of runnable) {
      const where = `${name}:${sample.block.line}`
      const info = sample.block.info
      const fail = (reason: string, output = '') => failures.push({ where, info, reason, output })
      if (sample.kind === 'shell' || sample.kind === 'program') {
        const missing = sample.infra ? await missingInfra() : undefined
        if (missing !== undefined) {
          fail(`stack=infra, but ${missing}`)
          break
        }
      }
      const started = Date.now()
      const result = await runSample(sample)
      // DOCS_TRACE=1: how long each block took, to keep the docs project fast.
      if (process.env.DOCS_TRACE === '1') console.info(`${where} ${sample.kind} ${Date.now() - started} ms`)
      if (result !== undefined) {
        fail(result.reason, result.output)
        break
      }
    }
  } finally {
    await session?.close()
    await platform?.close()
    rmSync(workDir, { recursive: true, force: true })
  }
  return { counts, failures }

  function exportedByDoc(): Record<string, string> {
    const now = session?.environment() ?? {}
    return Object.fromEntries(Object.entries(now).filter(([name, value]) => process.env[name] !== value))
  }

  async function runSample(sample: Exclude<Sample, { kind: 'output' } | { kind: 'docker' }>): Promise<{ reason: string; output: string } | undefined> {
    switch (sample.kind) {
      case 'shell': {
        if (sample.destructive) {
          counts.destructive++
          const problems = checkDestructive(sample.block.code, options.root)
          return problems.length === 0 ? undefined : { reason: `skip=destructive, yet it would not run: ${problems.join('; ')}`, output: '' }
        }
        counts.shell++
        const timeoutMs = options.shellTimeoutMs ?? 120_000
        const run = await session!.run(
          {
            line: sample.block.line,
            code: sample.block.code,
            ...(sample.infra ? { exports: infraEnv() } : {}),
            ...(sample.background === undefined ? {} : { background: { ready: sample.background.ready, timeoutSeconds: Math.floor(timeoutMs / 1000) - 10 } }),
          },
          timeoutMs,
        )
        lastPrinted = sample.background === undefined ? run.output : session!.backgroundOutput(sample.block.line)
        return run.ok ? undefined : { reason: run.reason ?? 'failed', output: run.output }
      }
      case 'check': {
        counts.checked++
        if (lastPrinted === undefined) return { reason: 'a `text check` block compares what the sh block before it printed, and there is none', output: '' }
        const problem = checkPrintedOutput(sample.block.code, lastPrinted)
        return problem === undefined ? undefined : { reason: problem, output: lastPrinted }
      }
      case 'program': {
        counts.program++
        const env = { ...baseEnv, ...session?.environment(), ...(sample.infra ? infraEnv() : {}) }
        const run = await runProgram({ root: options.root, directory: workDir, name: `block-${sample.block.line}`, language: sample.language, code: sample.block.code, env, timeoutMs: options.programTimeoutMs ?? 60_000 })
        return run.ok ? undefined : { reason: run.reason ?? 'failed', output: run.output }
      }
      case 'config': {
        counts.config++
        try {
          await CONFIG_LOADERS[sample.loader](sample.block.code, {
            label: `${name}:${sample.block.line}`,
            format: sample.format,
            directory: workDir,
            gatewayUrl: platformEnv.STRATA_URL ?? '',
            adminKey: platformEnv.STRATA_KEY ?? '',
            // Only what the doc's own sh blocks exported (and the platform's variables), not the test machine's.
            env: { ...platformEnv, ...exportedByDoc() },
          })
          return undefined
        } catch (error) {
          return { reason: `kind=${sample.loader} refused it: ${error instanceof Error ? error.message : String(error)}`, output: '' }
        }
      }
    }
  }
}

/** Which real server a stack=infra block would miss (undefined: all up). */
async function missingInfra(): Promise<string | undefined> {
  let problem = ''
  // A few tries: on a busy machine a server that is up can miss one probe's deadline.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await Promise.all([requireRedis(), requireQueueRedis(), requireKafka(), requirePostgres()])
      return undefined
    } catch (error) {
      problem = error instanceof Error ? error.message : String(error)
    }
  }
  return problem
}

/** One failure as the test prints it: where, the fence, why, and the block's output. */
export function formatFailure(failure: DocFailure): string {
  const fence = failure.info === '' ? '' : ` (\`\`\`${failure.info})`
  const output = failure.output.trim() === '' ? '' : `\n--- output ---\n${failure.output.trimEnd()}\n--------------`
  return `${failure.where}${fence}: ${failure.reason}${output}`
}
