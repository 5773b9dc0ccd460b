import { randomBytes } from 'node:crypto'
import { parseHttpDate } from './http-date.js'

/** A part of a stored body as a 206 or 416 answers it (RFC 9110 §14, §15.3.7, §15.5.17). */
export type RangeAnswer =
  | { kind: 'full' }
  | { kind: 'unsatisfiable'; contentRange: string }
  | { kind: 'partial'; contentType: string | undefined; contentRange?: string; body: Buffer }

/** More ranges than this in one request are ignored (§14.2 lets a server refuse many small ranges): the full body. */
const MAX_RANGES = 16

/**
 * Answers a `Range` from a complete stored response. A field that is not a valid `bytes` range set is ignored (the
 * full response, §14.2); If-Range (§13.1.5) that does not match the stored validator strongly also gives the full
 * response; no satisfiable range is a 416; one range a 206 with Content-Range; several a multipart/byteranges 206.
 */
export function answerRange(
  rangeHeader: string,
  ifRange: string | undefined,
  body: Uint8Array,
  validators: { etag: string | undefined; lastModified: string | undefined; date: string | undefined },
  contentType: string | undefined,
): RangeAnswer {
  if (ifRange !== undefined && !ifRangeMatches(ifRange.trim(), validators)) return { kind: 'full' }
  const match = /^bytes=(.+)$/i.exec(rangeHeader.trim())
  if (match === null) return { kind: 'full' }
  const specs = match[1]!.split(',').map((s) => s.trim()).filter((s) => s !== '')
  if (specs.length === 0 || specs.length > MAX_RANGES) return { kind: 'full' }
  const length = body.byteLength
  const ranges: [number, number][] = []
  for (const spec of specs) {
    const parts = /^(\d*)-(\d*)$/.exec(spec)
    if (parts === null || (parts[1] === '' && parts[2] === '')) return { kind: 'full' }
    if (parts[1] === '') {
      // suffix-range: the last N bytes.
      const suffix = Number(parts[2])
      if (suffix > 0 && length > 0) ranges.push([Math.max(0, length - suffix), length - 1])
      continue
    }
    const first = Number(parts[1])
    const last = parts[2] === '' ? length - 1 : Number(parts[2])
    if (last < first) return { kind: 'full' }
    if (first < length) ranges.push([first, Math.min(last, length - 1)])
  }
  if (ranges.length === 0) return { kind: 'unsatisfiable', contentRange: `bytes */${length}` }
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength)
  if (ranges.length === 1) {
    const [first, last] = ranges[0]!
    return { kind: 'partial', contentType, contentRange: `bytes ${first}-${last}/${length}`, body: bytes.subarray(first, last + 1) }
  }
  // §14.6: multipart/byteranges, each part with its own Content-Type and Content-Range.
  const boundary = randomBytes(12).toString('hex')
  const chunks: Buffer[] = []
  for (const [first, last] of ranges) {
    const head = `\r\n--${boundary}\r\n${contentType === undefined ? '' : `Content-Type: ${contentType}\r\n`}Content-Range: bytes ${first}-${last}/${length}\r\n\r\n`
    chunks.push(Buffer.from(head, 'latin1'), bytes.subarray(first, last + 1))
  }
  chunks.push(Buffer.from(`\r\n--${boundary}--\r\n`, 'latin1'))
  return { kind: 'partial', contentType: `multipart/byteranges; boundary=${boundary}`, body: Buffer.concat(chunks) }
}

/**
 * §13.1.5: an entity-tag matches only by strong comparison (a weak one never does); a date only if it equals
 * Last-Modified exactly and that is a strong validator (at least a second older than Date, §8.8.2.2).
 */
function ifRangeMatches(value: string, validators: { etag: string | undefined; lastModified: string | undefined; date: string | undefined }): boolean {
  if (value.startsWith('"') || value.startsWith('W/')) return !value.startsWith('W/') && validators.etag !== undefined && !validators.etag.startsWith('W/') && value === validators.etag
  const since = parseHttpDate(value)
  const lastModified = parseHttpDate(validators.lastModified)
  const date = parseHttpDate(validators.date)
  return since !== undefined && lastModified !== undefined && since === lastModified && date !== undefined && date - lastModified >= 1_000
}
