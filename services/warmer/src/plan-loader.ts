import { StrataError } from '@strata/core'

export { loadPlanFile, parsePlan, type WarmPlan, type WarmPlanFile } from '@strata/config'

/** A loader that GETs the origin URL of a key and takes its JSON body as the value. */
export function httpLoader(template: string): (key: string) => Promise<unknown> {
  return async (key) => {
    const response = await fetch(template.replace('{key}', encodeURIComponent(key)))
    if (!response.ok) throw new StrataError('E_LOADER_FAILED', `Origin answered ${response.status} for '${key}'`, { context: { key, status: response.status } })
    return (await response.json())
  }
}
