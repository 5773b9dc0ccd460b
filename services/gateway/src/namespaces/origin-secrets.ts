import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto'
import { StrataError, type Keyring } from '@strata/core'

/**
 * Origin header values (credentials, mostly) as the registry stores them: AES-256-GCM under the gateway keyring when
 * there is one, bound to their namespace and header name (a value moved elsewhere fails to open). The admin API never
 * returns them: a listing shows WRITE_ONLY, and a PUT that sends WRITE_ONLY back keeps the stored value.
 */
export const WRITE_ONLY = '[write-only]'
const PREFIX = 'enc:v1:'

function aad(namespace: string, name: string): Buffer {
  return Buffer.from(`strata origin header\n${namespace}\n${name.toLowerCase()}`)
}

export function sealHeader(keyring: Keyring | undefined, namespace: string, name: string, value: string): string {
  if (keyring === undefined) return value
  const iv = randomBytes(12)
  const cipher = createCipheriv('aes-256-gcm', keyring.keys.get(keyring.current)!, iv)
  cipher.setAAD(aad(namespace, name))
  const body = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()])
  return `${PREFIX}${keyring.current}:${Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url')}`
}

export function openHeader(keyring: Keyring | undefined, namespace: string, name: string, stored: string): string {
  if (!stored.startsWith(PREFIX)) return stored
  const rest = stored.slice(PREFIX.length)
  const keyId = rest.slice(0, rest.lastIndexOf(':'))
  const key = keyring?.keys.get(keyId)
  if (key === undefined) throw new StrataError('E_UNKNOWN_KEY_ID', `Origin header '${name}' of namespace '${namespace}' was sealed with key id "${keyId}", which is not in the keyring`, { context: { keyId } })
  const sealed = Buffer.from(rest.slice(keyId.length + 1), 'base64url')
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, 12))
    decipher.setAAD(aad(namespace, name))
    decipher.setAuthTag(sealed.subarray(12, 28))
    return Buffer.concat([decipher.update(sealed.subarray(28)), decipher.final()]).toString('utf8')
  } catch (cause) {
    throw new StrataError('E_DECRYPT_FAILED', `Origin header '${name}' of namespace '${namespace}' failed authentication`, { cause })
  }
}
