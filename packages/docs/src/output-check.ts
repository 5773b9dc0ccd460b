/**
 * Checks a doc's copy of printed output (a ```text check block) against what the command above it really printed:
 * every non-empty line of the copy must appear, in order, among the printed lines. What differs from run to run is
 * let through on both sides: loopback ports (127.0.0.1:8080 and 127.0.0.1:41234 compare equal), and `...` in the copy
 * stands for any text. Runs of spaces compare equal to one space. Returns the first line that is not found, or
 * undefined when the copy is true.
 */
export function checkPrintedOutput(copy: string, printed: string): string | undefined {
  const actual = printed.split('\n').map(normalise)
  let from = 0
  for (const line of copy.split('\n')) {
    const wanted = normalise(line)
    if (wanted === '') continue
    const pattern = new RegExp(`^${wanted.split('...').map(escapeRegExp).join('.*')}$`)
    const at = actual.findIndex((candidate, index) => index >= from && pattern.test(candidate))
    if (at === -1) return `the doc shows "${line.trim()}", which the command did not print${from === 0 ? '' : ' after the lines before it'}`
    from = at + 1
  }
  return undefined
}

function normalise(line: string): string {
  return line.replace(/\b(127\.0\.0\.1|localhost):\d+/g, '$1:<port>').replace(/\s+/g, ' ').trim()
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
