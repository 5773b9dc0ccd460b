import { describeSource, type LoadedConfig } from './load-config.js'
import { SERVICE_SETTINGS, type StrataService } from './schema/strata-config-schema.js'
import { SETTINGS, type SettingInfo } from './settings-index.js'

export interface ExplainedSetting {
  /** Dotted path, as in the file (`gateway.port`). */
  setting: string
  /** The effective value; secrets as `[secret]`, passwords inside URLs as `***`. */
  value: unknown
  source: string
  variable: string
  deprecatedVariables: readonly string[]
}

/** Whether a service reads a setting (SERVICE_SETTINGS names paths and whole sections). */
export function readsSetting(service: StrataService, info: SettingInfo): boolean {
  return SERVICE_SETTINGS[service].some((entry) => entry === info.path || entry === info.section)
}

/** The effective settings (of one service, or all), each with where it came from; nothing secret in it. */
export function explainConfig(loaded: LoadedConfig, service?: StrataService): ExplainedSetting[] {
  return SETTINGS.filter((info) => service === undefined || readsSetting(service, info)).map((info) => ({
    setting: info.path,
    value: maskedValue(info, valueAt(loaded.config as unknown as Record<string, unknown>, info)),
    source: describeSource(loaded.sources[info.path]),
    variable: info.env,
    deprecatedVariables: info.deprecatedEnv,
  }))
}

function valueAt(config: Record<string, unknown>, info: SettingInfo): unknown {
  return info.section === undefined ? config[info.key] : (config[info.section] as Record<string, unknown>)[info.key]
}

/** What may be shown of a value: secrets never, a URL's password never (`redis://:***@host`). */
export function maskedValue(info: Pick<SettingInfo, 'secret'>, value: unknown): unknown {
  if (info.secret && value !== '' && value !== undefined) return '[secret]'
  if (typeof value === 'string') return maskUrlPassword(value)
  if (Array.isArray(value)) return (value as unknown[]).map((item): unknown => (typeof item === 'string' ? maskUrlPassword(item) : item))
  return value
}

/** URLs may carry a password (`postgres://user:pw@host`, `?password=`): it is never shown. */
export function maskUrlPassword(text: string): string {
  return text.replace(/^([a-z][a-z0-9+.-]*:\/\/[^:/@\s]*):[^@/\s]+@/i, '$1:***@').replace(/([?&]password=)[^&]*/gi, '$1***')
}
