import { lookup as dnsLookup, type LookupAddress } from 'node:dns'
import { BlockList, isIP } from 'node:net'
import { Agent } from 'undici'
import { StrataError } from '@strata/core'

/**
 * Where a namespace origin may point. A namespace admin chooses among allowed origins (`scheme://host:port`, from the
 * configuration file or added by a global admin); only a global admin may name a new one. Independently of that,
 * connections never reach loopback, link-local (cloud metadata included) or unspecified addresses through a host
 * name, so an allowed name that later resolves inward (DNS rebinding) is refused at connect time; an allowed origin
 * that names such an address itself (`http://127.0.0.1:8080`, `http://localhost:8080`) is an explicit choice.
 */
const INTERNAL = new BlockList()
INTERNAL.addSubnet('127.0.0.0', 8, 'ipv4')
INTERNAL.addSubnet('169.254.0.0', 16, 'ipv4') // link-local, 169.254.169.254 metadata
INTERNAL.addSubnet('0.0.0.0', 8, 'ipv4')
INTERNAL.addSubnet('100.100.100.200', 32, 'ipv4') // Alibaba metadata
INTERNAL.addAddress('::1', 'ipv6')
INTERNAL.addAddress('::', 'ipv6')
INTERNAL.addSubnet('fe80::', 10, 'ipv6')
INTERNAL.addSubnet('fd00:ec2::', 32, 'ipv6') // AWS metadata over IPv6
INTERNAL.addSubnet('::ffff:127.0.0.0', 104, 'ipv6')
INTERNAL.addSubnet('::ffff:169.254.0.0', 112, 'ipv6')

export function isInternalAddress(address: string): boolean {
  const family = isIP(address)
  if (family === 0) return false
  return INTERNAL.check(address, family === 4 ? 'ipv4' : 'ipv6')
}

/** `scheme://host:port` of a URL or URL template, lowercased, with the default port spelled out. */
export function originOf(url: string): string {
  const parsed = new URL(url.replaceAll('{key}', 'k'))
  const port = parsed.port === '' ? (parsed.protocol === 'https:' ? '443' : '80') : parsed.port
  return `${parsed.protocol}//${parsed.hostname.toLowerCase()}:${port}`
}

/** Names a host may have that are addresses in all but spelling. */
function namesAddressItself(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '')
  return isIP(bare) !== 0 || bare === 'localhost'
}

/** Request headers a namespace spec may not set: the target host, and what belongs to one connection (RFC 9110 §7.6.1). */
const FORBIDDEN_HEADERS = new Set(['host', 'connection', 'keep-alive', 'proxy-connection', 'proxy-authorization', 'proxy-authenticate', 'te', 'trailer', 'transfer-encoding', 'upgrade', 'content-length', 'expect', 'x-strata-version'])

export function checkOriginHeaders(headers: Record<string, string> | undefined): void {
  for (const name of Object.keys(headers ?? {})) {
    if (FORBIDDEN_HEADERS.has(name.toLowerCase()) || !/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/.test(name)) {
      throw new StrataError('E_INVALID_OPTION', `origin.headers may not set '${name}' (Host, hop-by-hop and framing headers are the gateway's)`, {
        context: { option: `origin.headers.${name}` },
      })
    }
  }
}

/** A connection lookup that refuses host names resolving to internal addresses. */
function guardedLookup(hostname: string, options: object, callback: (error: Error | null, address: string | LookupAddress[], family?: number) => void): void {
  dnsLookup(hostname, { ...options, all: true }, (error, addresses) => {
    if (error !== null) return callback(error, [])
    const list = addresses
    if (!namesAddressItself(hostname) && list.some((a) => isInternalAddress(a.address))) {
      return callback(Object.assign(new Error(`Origin host '${hostname}' resolves to an internal address; only an origin that names the address itself may reach it`), { code: 'E_ORIGIN_INTERNAL' }), [])
    }
    if ((options as { all?: boolean }).all === true) return callback(null, list)
    const first = list[0]!
    return callback(null, first.address, first.family)
  })
}

/** The dispatcher namespace origins are fetched through. */
export function guardedOriginAgent(): Agent {
  return new Agent({ connect: { lookup: guardedLookup } })
}
