/**
 * Where the require* helpers find their servers (STRATA_SERVERS): unset or `infra`, at the STRATA_* addresses
 * (`pnpm infra:up`'s loopback servers by default); `containers`, in containers they start through testcontainers.
 */
export function serversFromContainers(): boolean {
  const mode = process.env.STRATA_SERVERS?.trim() ?? ''
  if (mode === '' || mode === 'infra') return false
  if (mode === 'containers') return true
  throw new Error(`STRATA_SERVERS=${mode} is not a servers mode: use "containers", or "infra" (the default) or leave it unset`)
}
