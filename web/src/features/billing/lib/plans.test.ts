import { describe, expect, it } from 'vitest';
import { FREE, PRO, STARTER, subscription } from '@/testing/billing-fixtures';
import { annualSavingPercent, describeFeatures, formatPlanPrice, overageText, planAction } from './plans';

describe('planAction', () => {
  it('sends a Free organization in Stripe mode to checkout for a paid plan', () => {
    const free = subscription({ billingMode: 'stripe' });
    expect(planAction(free, PRO, 'month')).toEqual({ kind: 'checkout' });
    expect(planAction(free, FREE, 'month')).toEqual({ kind: 'current' });
  });

  it('changes a Stripe subscription in place, and treats moving to Free as a cancellation', () => {
    const paid = subscription({ billingMode: 'stripe', source: 'stripe', implicit: false, plan: STARTER });
    expect(planAction(paid, PRO, 'month')).toEqual({ kind: 'change' });
    expect(planAction(paid, STARTER, 'year')).toEqual({ kind: 'change' });
    expect(planAction(paid, STARTER, 'month')).toEqual({ kind: 'current' });
    expect(planAction(paid, FREE, 'month')).toEqual({ kind: 'cancel' });
  });

  it('previews every change in local mode, Free included', () => {
    const local = subscription({ billingMode: 'local', source: 'local', implicit: false, plan: STARTER });
    expect(planAction(local, PRO, 'year')).toEqual({ kind: 'change' });
    expect(planAction(local, FREE, 'month')).toEqual({ kind: 'change' });
    expect(planAction(subscription(), PRO, 'month')).toEqual({ kind: 'change' });
  });

  it('goes through checkout in Stripe mode when the current plan was set locally or by hand', () => {
    const manual = subscription({ billingMode: 'stripe', source: 'manual', implicit: false, plan: STARTER });
    expect(planAction(manual, PRO, 'month')).toEqual({ kind: 'checkout' });
  });
});

describe('plan text', () => {
  it('formats prices, savings and overage', () => {
    expect(formatPlanPrice(STARTER, 'month')).toBe('$19.00 / month');
    expect(formatPlanPrice(STARTER, 'year')).toBe('$190.00 / year');
    expect(formatPlanPrice({ ...STARTER, priceAnnual: null }, 'year')).toBe('$19.00 / month');
    expect(formatPlanPrice(FREE, 'month')).toBe('Free');
    expect(annualSavingPercent(STARTER)).toBe(16);
    expect(annualSavingPercent(FREE)).toBe(0);
    expect(overageText(STARTER)).toBe('$0.50 per 1,000 units');
    expect(overageText(FREE)).toMatch(/^No overage/);
  });

  it('renders feature flags readably', () => {
    expect(
      describeFeatures({ support: 'priority_email', usage_history_days: 30, csv_export: true, team: false, sla: '99.9', ssoLogin: true }),
    ).toEqual([
      { key: 'support', label: 'Support: Priority email', included: null },
      { key: 'usage_history_days', label: 'Usage history: 30 days', included: null },
      { key: 'csv_export', label: 'CSV export', included: true },
      { key: 'team', label: 'Team', included: false },
      { key: 'sla', label: 'SLA: 99.9', included: null },
      { key: 'ssoLogin', label: 'SSO login', included: true },
    ]);
    expect(describeFeatures(null)).toEqual([]);
  });
});
