import os from 'node:os'

/**
 * Prints a benchmark's readable table and, as the last line on stdout, the machine-readable BENCH line that
 * CONVENTIONS.md defines. Ratios are strata over each peer (for lower-is-better metrics too: < 1 is then better).
 */
export interface BenchReport {
  bench: string
  metric: string
  unit: string
  higherIsBetter: boolean
  /** Keyed by contender; `strata` (or its variants) first. */
  results: Record<string, number>
  /** Extra ratios beyond strata/<peer>, e.g. floor comparisons. */
  ratios?: Record<string, number>
  /** Free-form rows for the readable table. */
  table?: Record<string, string | number | undefined>[]
  env?: Record<string, unknown>
}

export function benchEnv(): Record<string, unknown> {
  return {
    node: process.version,
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memGiB: Math.round(os.totalmem() / 2 ** 30),
    platform: `${os.platform()}-${os.arch()}`,
  }
}

export function round(value: number, digits = 3): number {
  const factor = 10 ** digits
  return Math.round(value * factor) / factor
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2
}

export function printReport(report: BenchReport): void {
  if (report.table && report.table.length > 0) console.table(report.table)
  const ratios: Record<string, number> = { ...report.ratios }
  const strata = report.results.strata
  if (strata !== undefined) {
    for (const [peer, value] of Object.entries(report.results)) {
      if (peer === 'strata' || value === 0) continue
      ratios[`strata/${peer}`] ??= round(strata / value)
    }
  }
  const line = {
    bench: report.bench,
    metric: report.metric,
    unit: report.unit,
    higherIsBetter: report.higherIsBetter,
    results: report.results,
    ratios,
    env: { ...benchEnv(), ...report.env },
  }
  console.log(`BENCH ${JSON.stringify(line)}`)
}
