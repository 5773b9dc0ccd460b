import { StrataError } from '../../errors/index.js'
import type { EvictionPolicyOptions, PolicyNode } from './eviction-policy.js'

/** Rejects budgets a policy cannot honour, with the option's name in the message. */
export function validateBudget<N extends PolicyNode>(options: EvictionPolicyOptions<N>): void {
  const { maximumWeight, maximumSize } = options
  if (!(maximumWeight >= 1) || !Number.isFinite(maximumWeight)) {
    throw new StrataError('E_INVALID_OPTION', `maximumWeight must be a finite number ≥ 1, got ${String(maximumWeight)}`, {
      context: { option: 'maximumWeight', value: maximumWeight },
    })
  }
  if (maximumSize !== undefined && (!(maximumSize >= 1) || !Number.isFinite(maximumSize))) {
    throw new StrataError('E_INVALID_OPTION', `maximumSize must be a finite number ≥ 1, got ${String(maximumSize)}`, {
      context: { option: 'maximumSize', value: maximumSize },
    })
  }
}
