import { hostname } from 'node:os'
import { isStrataError } from '@strata/core'
import { loadConfig, type LoadConfigOptions, type LoadedConfig } from './load-config.js'
import { SETTING_BY_PATH } from './settings-index.js'
import { SECTION_OF, type StrataConfig, type StrataService } from './schema/strata-config-schema.js'

/** This process's id: the instanceId setting, or `<hostname>-<pid>`. */
export function instanceIdOf(config: Pick<StrataConfig, 'instanceId'>): string {
  return config.instanceId === '' ? `${hostname()}-${process.pid}` : config.instanceId
}

/**
 * What to tell an operator when a service cannot listen: the address, why, and the variable to change; undefined
 * for an error that is not about the address (the caller rethrows it).
 */
export function listenFailureMessage(error: unknown, service: StrataService, address: { host: string; port: number }): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code
  const section = SECTION_OF[service]
  const hostVariable = SETTING_BY_PATH.get(`${section}.host`)!.env
  const portVariable = SETTING_BY_PATH.get(`${section}.port`)!.env
  const where = `${address.host}:${address.port}`
  if (code === 'EADDRINUSE') return `${service}: cannot listen on ${where}: the port is in use (another Strata service or program holds it). Set ${portVariable} to another port (0 picks a free one).`
  if (code === 'EACCES') return `${service}: cannot listen on ${where}: permission denied (ports below 1024 need privileges). Set ${portVariable} to a port ≥ 1024.`
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') return `${service}: cannot listen on ${where}: no such local address. Set ${hostVariable} to an address of this machine (127.0.0.1, or 0.0.0.0 for every interface).`
  return undefined
}

/**
 * Listens, or exits with status 1 and one line naming the variable to change when the address cannot be taken (no
 * stack trace for an operator's everyday mistake); other errors are thrown as they are.
 */
export async function listenOrExplain<T>(service: StrataService, address: { host: string; port: number }, listen: () => Promise<T>): Promise<T> {
  try {
    return await listen()
  } catch (error) {
    const message = listenFailureMessage(error, service, address)
    if (message === undefined) throw error
    process.stderr.write(`${message}\n`)
    process.exit(1)
  }
}

/**
 * A service's configuration, or exit 1 with every problem listed (setting, allowed values, file line or variable) and
 * no stack trace: what each main.ts starts with.
 */
export function loadServiceConfig(service: StrataService, options: LoadConfigOptions = {}): LoadedConfig {
  try {
    return loadConfig(options)
  } catch (error) {
    if (!isStrataError(error, 'E_CONFIG_INVALID')) throw error
    process.stderr.write(`${service}: not starting: ${error.message}\nCheck a file with: strata config validate <file> --service ${service}\n`)
    process.exit(1)
  }
}
