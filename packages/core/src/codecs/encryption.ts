import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { StrataError } from '../errors/index.js'

const IV_BYTES = 12
const TAG_BYTES = 16

/**
 * AES-256-GCM keys by id. `current` encrypts; every key in `keys` decrypts, so a rotation is: add the new key, make it
 * current, and drop the old id once entries written with it have expired (at most the namespace's maxTtl later).
 */
export interface Keyring {
  readonly current: string
  readonly keys: ReadonlyMap<string, Uint8Array>
}

export function createKeyring(current: string, keys: Record<string, Uint8Array | string>): Keyring {
  const map = new Map<string, Uint8Array>()
  for (const [id, key] of Object.entries(keys)) {
    if (id.length === 0 || id.length > 255) {
      throw new StrataError('E_INVALID_OPTION', `Key id "${id}" must be 1 to 255 characters`, { context: { keyId: id } })
    }
    const bytes = typeof key === 'string' ? Buffer.from(key, 'base64') : key
    if (bytes.length !== 32) {
      throw new StrataError('E_INVALID_OPTION', `Key "${id}" must be 32 bytes (AES-256), got ${bytes.length}`, {
        context: { keyId: id },
      })
    }
    map.set(id, bytes)
  }
  if (!map.has(current)) {
    throw new StrataError('E_INVALID_OPTION', `The current key id "${current}" is not in the keyring`, {
      context: { keyId: current },
    })
  }
  return { current, keys: map }
}

/** Encrypts `plaintext`, authenticating `aad` too. Output: iv | tag | ciphertext. */
export function encrypt(key: Uint8Array, plaintext: Uint8Array, aad: Uint8Array): Buffer {
  const iv = randomBytes(IV_BYTES)
  const cipher = createCipheriv('aes-256-gcm', key, iv)
  cipher.setAAD(aad)
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()])
  return Buffer.concat([iv, cipher.getAuthTag(), body])
}

export function decrypt(key: Uint8Array, sealed: Uint8Array, aad: Uint8Array): Buffer {
  if (sealed.length < IV_BYTES + TAG_BYTES) {
    throw new StrataError('E_DECRYPT_FAILED', 'Encrypted entry is shorter than its IV and tag')
  }
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES))
    decipher.setAAD(aad)
    decipher.setAuthTag(sealed.subarray(IV_BYTES, IV_BYTES + TAG_BYTES))
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES + TAG_BYTES)), decipher.final()])
  } catch (cause) {
    throw new StrataError('E_DECRYPT_FAILED', 'Entry failed authentication (wrong key or tampered bytes)', { cause })
  }
}
