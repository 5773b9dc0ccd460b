import { Type, type TLiteral, type TSchema, type TUnion } from '@sinclair/typebox'

/** What the loader, `strata config explain` and the reference need to know about one setting besides its type. */
export interface SettingMeta {
  /** The one environment variable (STRATA_*). */
  env: string
  /** Older names still read (a warning names the new one); documented as deprecated in the reference. */
  deprecatedEnv?: readonly string[]
  /** Never printed: `strata config explain` and logs show `[secret]`. */
  secret?: boolean
}

/** Attaches the environment variable (and secrecy) to a setting's schema, as `x-` keywords TypeBox ignores. */
export function setting<T extends TSchema>(schema: T, meta: SettingMeta): T {
  const target = schema as unknown as Record<string, unknown>
  target['x-env'] = meta.env
  if (meta.deprecatedEnv !== undefined) target['x-deprecated-env'] = [...meta.deprecatedEnv]
  if (meta.secret === true) target['x-secret'] = true
  return schema
}

export const Port = (fallback: number) => Type.Integer({ minimum: 0, maximum: 65_535, default: fallback, description: 'TCP port (0: any free port)' })
export const Host = () =>
  Type.String({ minLength: 1, default: '127.0.0.1', description: "Address to listen on: loopback by default; '0.0.0.0' (or '::') to accept other machines" })
export const OnOff = (fallback: 'on' | 'off', description: string) => Type.Union([Type.Literal('on'), Type.Literal('off')], { default: fallback, description })
export const OneOf = <const V extends string>(values: readonly V[], fallback: V, description = ''): TUnion<[TLiteral<V>]> =>
  Type.Union(
    values.map((value) => Type.Literal(value)),
    { default: fallback, ...(description === '' ? {} : { description }) },
  ) as unknown as TUnion<[TLiteral<V>]>
export const HostPort = Type.String({ pattern: '^[^\\s:,]+:\\d{1,5}$' })
export const HostPortList = (fallback: string[], description: string) => Type.Array(HostPort, { minItems: 1, default: fallback, description })

/** A section's listen address and port: STRATA_<SERVICE>_HOST / _PORT. */
export function listen(prefix: string, port: number, deprecated: { host?: string; port?: string } = {}) {
  return {
    host: setting(Host(), { env: `${prefix}_HOST`, ...(deprecated.host === undefined ? {} : { deprecatedEnv: [deprecated.host] }) }),
    port: setting(Port(port), { env: `${prefix}_PORT`, ...(deprecated.port === undefined ? {} : { deprecatedEnv: [deprecated.port] }) }),
  }
}
