import type { NamespacePolicy, WriteMode } from '../api/types.js'

/** The namespace editor's fields, as the text the user typed. Durations are milliseconds, as in the API. */
export interface PolicyForm {
  name: string
  ttl: string
  grace: string
  l1Ttl: string
  maxTtl: string
  maxKeyLength: string
  maxValueBytes: string
  writeMode: WriteMode
  originUrl: string
  encryption: 'off' | 'required'
}

export type PolicyErrors = Partial<Record<keyof PolicyForm, string>>

export const EMPTY_FORM: PolicyForm = {
  name: '',
  ttl: '60000',
  grace: '',
  l1Ttl: '',
  maxTtl: '',
  maxKeyLength: '',
  maxValueBytes: '',
  writeMode: 'cache-aside',
  originUrl: '',
  encryption: 'off',
}

// The same bounds the gateway's schema has (services/gateway/src/namespaces/namespace-spec.ts); the server checks again.
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/
const TEN_YEARS_MS = 10 * 365 * 24 * 3_600_000
const LIMITS: Record<'ttl' | 'grace' | 'l1Ttl' | 'maxTtl' | 'maxKeyLength' | 'maxValueBytes', { min: number; max: number }> = {
  ttl: { min: 1, max: TEN_YEARS_MS },
  grace: { min: 0, max: TEN_YEARS_MS },
  l1Ttl: { min: 0, max: TEN_YEARS_MS },
  maxTtl: { min: 0, max: TEN_YEARS_MS },
  maxKeyLength: { min: 1, max: 8_192 },
  maxValueBytes: { min: 1, max: 64 * 1024 * 1024 },
}

export function formOf(name: string, policy: NamespacePolicy): PolicyForm {
  const text = (value: number | undefined) => (value === undefined ? '' : String(value))
  return {
    name,
    ttl: text(policy.ttl),
    grace: text(policy.grace),
    l1Ttl: text(policy.l1Ttl),
    maxTtl: text(policy.maxTtl),
    maxKeyLength: text(policy.maxKeyLength),
    maxValueBytes: text(policy.maxValueBytes),
    writeMode: policy.writeMode ?? 'cache-aside',
    originUrl: policy.origin?.url ?? '',
    encryption: policy.security?.encryption ?? 'off',
  }
}

/**
 * The PUT body for a form, or the problems with it. `base` is the policy being edited: fields the form does not show
 * (codec, stampede, origin headers, other security settings) are kept as they are.
 */
export function policyOf(form: PolicyForm, base: NamespacePolicy = {}): { policy?: NamespacePolicy; errors: PolicyErrors } {
  const errors: PolicyErrors = {}
  if (!NAME.test(form.name)) errors.name = 'Use 1 to 64 letters, digits, "_", "." or "-", starting with a letter or digit.'
  const policy: NamespacePolicy = { ...base }
  for (const field of Object.keys(LIMITS) as Array<keyof typeof LIMITS>) {
    const raw = form[field].trim()
    delete policy[field]
    if (raw === '') {
      if (field === 'ttl') errors.ttl = 'A ttl is required (milliseconds).'
      continue
    }
    const value = Number(raw)
    const { min, max } = LIMITS[field]
    if (!Number.isInteger(value) || value < min || value > max) errors[field] = `Must be a whole number from ${min} to ${max}.`
    else policy[field] = value
  }
  policy.writeMode = form.writeMode
  const url = form.originUrl.trim()
  if (url === '') {
    delete policy.origin
    if (form.writeMode !== 'cache-aside') errors.originUrl = `${form.writeMode} needs an origin to write to.`
  } else if (!/^https?:\/\/.*\{key\}/.test(url)) {
    errors.originUrl = 'An http(s) URL containing {key}, e.g. https://api.example.com/items/{key}.'
  } else {
    policy.origin = { ...base.origin, url }
  }
  const security = { ...base.security, encryption: form.encryption }
  if (security.maxTtl !== undefined && policy.ttl !== undefined && policy.ttl > security.maxTtl) errors.ttl = `Above this namespace's security.maxTtl (${security.maxTtl} ms).`
  policy.security = security
  return Object.keys(errors).length === 0 ? { policy, errors } : { errors }
}
