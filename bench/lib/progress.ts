// Progress of a long benchmark on stderr (stdout carries the table and the BENCH line, which programs read): what is
// about to run, how long it should take, then one line per measured round.

export function progress(line: string): void {
  process.stderr.write(`[bench] ${line}\n`)
}

/** "1 min 20 s", "45 s" */
export function duration(seconds: number): string {
  const whole = Math.round(seconds)
  return whole >= 60 ? `${Math.floor(whole / 60)} min ${whole % 60} s` : `${whole} s`
}

export function perSecond(value: number, unit: string): string {
  return `${Math.round(value).toLocaleString('en-US')} ${unit}`
}
