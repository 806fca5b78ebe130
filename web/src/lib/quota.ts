import type { Quota } from '@/types';

export interface SubscriptionUsage {
  plan: Quota['plan'];
  interval: 'month' | 'year';
  /** The plan's monthly included units, as the admin API gives them. */
  includedUnits: number;
  unitsUsed: number;
  currentPeriodStart: string;
  currentPeriodEnd: string;
}

/**
 * A subscription's usage as a Quota for QuotaBar. An annual subscription's pool is twelve times the plan's monthly
 * included units (as everywhere else); 0 included units means no cap.
 */
export function subscriptionQuota(sub: SubscriptionUsage, policy: Quota['policy']): Quota {
  const included = sub.interval === 'year' ? sub.includedUnits * 12 : sub.includedUnits;
  const limit = included > 0 ? included : null;
  return {
    plan: sub.plan,
    limit,
    used: sub.unitsUsed,
    remaining: limit === null ? null : Math.max(0, limit - sub.unitsUsed),
    percent: null,
    policy,
    periodStart: sub.currentPeriodStart,
    resetsAt: sub.currentPeriodEnd,
  };
}
