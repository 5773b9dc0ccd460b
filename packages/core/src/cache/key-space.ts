import { StrataError } from '../errors/index.js'

const NAMESPACE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
// Control characters break line protocols (memcached) and log lines; they are never valid in a key or tag.
// eslint-disable-next-line no-control-regex
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f]/
const MAX_TAG_LENGTH = 256

/**
 * How logical keys map to store keys. L2: `<prefix>:<namespace>:k:<key>` for values and
 * `<prefix>:<namespace>:t<d|e>:<tag>` for tag invalidation records. L1 (shared by every namespace of a cache):
 * `<namespace>:<key>`. Namespace names cannot contain ':' so neither layout is ambiguous.
 */
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
    this.l1Prefix = `${namespace}:`
  }

  l1Key(key: string): string {
    return this.l1Prefix + key
  }

  l2Key(key: string): string {
    return this.valuePrefix + key
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
  if (CONTROL_CHARACTERS.test(key)) {
    throw new StrataError('E_KEY_INVALID', 'A key cannot contain control characters', { context: { namespace } })
  }
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
