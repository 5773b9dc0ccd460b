/**
 * The text with every literal replaced by `?`, from the constant positions the parser reported: stats show a query's
 * shape without the values it carried (an e-mail address in a WHERE clause must not end up on a dashboard).
 */
export function maskLiterals(sql: string, byteLocations: readonly number[]): string {
  // The parser counts bytes of UTF-8; JavaScript strings count UTF-16 units.
  const bytes = Buffer.byteLength(sql, 'utf8') === sql.length ? undefined : Buffer.from(sql, 'utf8')
  const toIndex = (offset: number) => (bytes === undefined ? offset : bytes.subarray(0, offset).toString('utf8').length)
  let out = ''
  let cursor = 0
  for (const start of [...new Set(byteLocations.map(toIndex))].sort((a, b) => a - b)) {
    if (start < cursor || start >= sql.length) continue
    const end = literalEnd(sql, start)
    if (end <= start) continue
    out += sql.slice(cursor, start) + '?'
    cursor = end
  }
  return out + sql.slice(cursor)
}

/** Where the literal token starting at `start` ends (exclusive). */
function literalEnd(sql: string, start: number): number {
  const first = sql[start]!
  if (first === "'") return quotedEnd(sql, start, false)
  if (/[eEbBxXnNuU]/.test(first) && sql[start + 1] === "'") return quotedEnd(sql, start + 1, first === 'e' || first === 'E')
  if (first === '$') {
    const tag = /^\$[A-Za-z_0-9]*\$/.exec(sql.slice(start))?.[0]
    if (tag === undefined) return start
    const close = sql.indexOf(tag, start + tag.length)
    return close === -1 ? sql.length : close + tag.length
  }
  const number = /^-?\s*(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(sql.slice(start))
  if (number !== null) return start + number[0].length
  const word = /^[A-Za-z_]+/.exec(sql.slice(start))
  return word === null ? start : start + word[0].length
}

function quotedEnd(sql: string, quote: number, backslashEscapes: boolean): number {
  let i = quote + 1
  while (i < sql.length) {
    const char = sql[i]
    if (backslashEscapes && char === '\\') {
      i += 2
      continue
    }
    if (char === "'") {
      if (sql[i + 1] === "'") {
        i += 2
        continue
      }
      return i + 1
    }
    i++
  }
  return sql.length
}
