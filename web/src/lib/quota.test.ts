import { describe, expect, it } from 'vitest';
import { subscriptionQuota } from './quota';

const SUB = {
  plan: { slug: 'starter', name: 'Starter' },
  interval: 'month' as const,
  includedUnits: 50_000,
  unitsUsed: 60_000,
  currentPeriodStart: '2025-03-01T00:00:00Z',
  currentPeriodEnd: '2025-04-01T00:00:00Z',
};

describe('subscriptionQuota', () => {
  it('uses the monthly units, twelve times for a yearly subscription, and no cap for 0', () => {
    expect(subscriptionQuota(SUB, 'allow_overage')).toMatchObject({ limit: 50_000, used: 60_000, remaining: 0, resetsAt: SUB.currentPeriodEnd });
    expect(subscriptionQuota({ ...SUB, interval: 'year' }, 'hard_cap').limit).toBe(600_000);
    expect(subscriptionQuota({ ...SUB, includedUnits: 0 }, 'allow_overage')).toMatchObject({ limit: null, remaining: null });
  });
});
