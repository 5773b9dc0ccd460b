import type { GatewaySettings } from '@strata/config'

export { readGatewayConfig, type GatewaySettings } from '@strata/config'

/** The settings main.ts uses in structured form (parsed from the flat, one-variable-per-field configuration). */
export interface SecuritySettings {
  kafkaSsl: { ca?: string[] } | true | undefined
  rateLimit: { perSecond: number; burst: number }
  encryptionKeys: { current: string; keys: Record<string, string> } | undefined
  jwt: { jwksUrl: string; issuer: string; audience: string } | undefined
  tls: { certFile: string; keyFile: string } | undefined
  bootstrapAdminKey: string | undefined
}

export function securitySettings(config: GatewaySettings, readFile: (path: string) => string): SecuritySettings {
  const [perSecond, burst] = config.rateLimit.split('/').map(Number) as [number, number]
  const pairs = config.encryptionKeys === '' ? [] : config.encryptionKeys.split(',').map((pair) => [pair.slice(0, pair.indexOf(':')).trim(), pair.slice(pair.indexOf(':') + 1).trim()] as const)
  return {
    kafkaSsl: config.kafkaTls === 'off' ? undefined : config.kafkaCaFile === '' ? true : { ca: [readFile(config.kafkaCaFile)] },
    rateLimit: { perSecond, burst },
    encryptionKeys: pairs.length === 0 ? undefined : { current: pairs[0]![0], keys: Object.fromEntries(pairs) },
    jwt: config.jwtJwksUrl === '' ? undefined : { jwksUrl: config.jwtJwksUrl, issuer: config.jwtIssuer, audience: config.jwtAudience },
    tls: config.tlsCertFile === '' ? undefined : { certFile: config.tlsCertFile, keyFile: config.tlsKeyFile },
    bootstrapAdminKey: config.bootstrapAdminKey === '' ? undefined : config.bootstrapAdminKey,
  }
}
