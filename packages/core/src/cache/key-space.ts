import { StrataError } from '../errors/index.js'

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
// Control characters break line protocols (memcached) and log lines; they are never valid in a key or tag.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/
const MAX_TAG_LENGTH = 256

/**
 * How logical keys map to store keys. L2: `<prefix>:<namespace>:k:<key>` for values and
 * `<prefix>:<namespace>:t<d|e>:<tag>` for tag invalidation records. Namespace names cannot contain ':', so the L2
 * layout is unambiguous.
 *
 * L1 is shared by every namespace of a cache: `<namespace>\u0001<key>`, except the default namespace, whose keys are
 * stored as they are. Keys never contain control characters, so the two forms cannot collide, and the most common
 * read (default namespace, L1 hit) builds no string.
 */
export const L1_SEPARATOR = '\u0001'
export const DEFAULT_NAMESPACE = 'default'

export class KeySpace {
  readonly l2Prefix: string
  private readonly valuePrefix: string
  private readonly tagDeletePrefix: string
  private readonly tagExpirePrefix: string
  readonly l1Prefix: string

  constructor(prefix: string, readonly namespace: string) {
    assertNamespace(namespace)
    this.l2Prefix = `${prefix}:${namespace}:`
    this.valuePrefix = `${this.l2Prefix}k:`
    this.tagDeletePrefix = `${this.l2Prefix}td:`
    this.tagExpirePrefix = `${this.l2Prefix}te:`
    this.l1Prefix = namespace === DEFAULT_NAMESPACE ? '' : namespace + L1_SEPARATOR
  }

  l1Key(key: string): string {
    return this.l1Prefix === '' ? key : this.l1Prefix + key
  }

  /** Whether an L1 key belongs to this namespace. */
  ownsL1Key(l1Key: string): boolean {
    return this.l1Prefix === '' ? !l1Key.includes(L1_SEPARATOR) : l1Key.startsWith(this.l1Prefix)
  }

  l2Key(key: string): string {
    return this.valuePrefix + key
  }

  /** The logical key of a value key of this namespace (`l2Key`'s inverse). */
  keyOfL2(l2Key: string): string {
    return l2Key.slice(this.valuePrefix.length)
  }

  tagRecord(tag: string, kind: 'delete' | 'expire'): string {
    return (kind === 'delete' ? this.tagDeletePrefix : this.tagExpirePrefix) + tag
  }
}

export function assertNamespace(namespace: string): void {
  if (typeof namespace !== 'string' || !NAMESPACE_PATTERN.test(namespace)) {
    throw new StrataError(
      'E_INVALID_OPTION',
      `Namespace "${String(namespace)}" must be 1-64 characters of letters, digits, '_', '.', '-', starting with a letter or digit`,
      { context: { namespace } },
    )
  }
}

/** Where an L1 key belongs: its namespace and logical key. */
export function splitL1Key(l1Key: string): { namespace: string; key: string } {
  const separator = l1Key.indexOf(L1_SEPARATOR)
  return separator === -1
    ? { namespace: DEFAULT_NAMESPACE, key: l1Key }
    : { namespace: l1Key.slice(0, separator), key: l1Key.slice(separator + 1) }
}

export function assertKey(key: unknown, maxKeyLength: number, namespace: string): asserts key is string {
  if (typeof key !== 'string' || key.length === 0) {
    throw new StrataError('E_KEY_INVALID', 'A key must be a non-empty string', { context: { namespace } })
  }
  // key.length counts UTF-16 units; a UTF-8 byte count is needed only when the key could be near the limit.
  if (key.length * 3 > maxKeyLength && Buffer.byteLength(key) > maxKeyLength) {
    throw new StrataError('E_KEY_TOO_LONG', `Key is ${Buffer.byteLength(key)} bytes; the maximum is ${maxKeyLength}`, {
      context: { namespace, length: Buffer.byteLength(key), limit: maxKeyLength },
    })
  }
  if (hasControlCharacter(key)) {
    throw new StrataError('E_KEY_INVALID', 'A key cannot contain control characters', { context: { namespace } })
  }
}

/**
 * Every write checks its key. A char loop beats the regex's call overhead on short keys (measured 14–18 ns vs 24–27 ns
 * at 7 characters) and loses on long ones (86 vs 71 ns at 40), hence the split.
 */
function hasControlCharacter(text: string): boolean {
  if (text.length > 16) return CONTROL_CHARACTERS.test(text)
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i)
    if (code < 0x20 || code === 0x7f) return true
  }
  return false
}

export function assertTags(tags: readonly string[], namespace: string): void {
  for (const tag of tags) {
    if (typeof tag !== 'string' || tag.length === 0 || tag.length > MAX_TAG_LENGTH || CONTROL_CHARACTERS.test(tag)) {
      throw new StrataError(
        'E_INVALID_TAG',
        `Tag "${String(tag)}" must be a non-empty string of at most ${MAX_TAG_LENGTH} characters without control characters`,
        { context: { namespace, tag } },
      )
    }
  }
}
