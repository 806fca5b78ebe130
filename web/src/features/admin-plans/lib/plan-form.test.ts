import { describe, expect, it } from 'vitest';
import { adminPlan, STARTER } from '@/testing/billing-fixtures';
import { canonicalJson, NEW_PLAN_VALUES, parseFeatures, parseInteger, parsePlanForm, planChanges, toPlanInput, valuesFromPlan } from './plan-form';

describe('plan form', () => {
  it('shows minor units back as decimals and parses them back exactly', () => {
    const plan = adminPlan(STARTER);
    const values = valuesFromPlan(plan);
    expect(values.priceMonthly).toBe('19.00');
    expect(values.priceAnnual).toBe('190.00');
    expect(values.overagePrice).toBe('0.50');
    expect(values.maxApiKeys).toBe('5');
    const parsed = parsePlanForm(values, 'edit');
    expect(parsed.ok).toBe(true);
    if (parsed.ok) expect(planChanges(plan, parsed.plan)).toEqual({});
  });

  it('PATCHes only what changed', () => {
    const plan = adminPlan(STARTER);
    const values = {
      ...valuesFromPlan(plan),
      priceMonthly: '19.99',
      priceAnnual: '',
      maxApiKeys: '',
      name: ' Starter ',
      features: '{"team": true, "csv_export": true, "usage_history_days": 30, "support": "email"}',
    };
    const parsed = parsePlanForm(values, 'edit');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    // Same features in another key order, and the name with spaces, are not changes.
    expect(planChanges(plan, parsed.plan)).toEqual({ priceMonthly: 1999, priceAnnual: null, maxApiKeys: null });
  });

  it('builds a complete POST body for a new plan', () => {
    const parsed = parsePlanForm({ ...NEW_PLAN_VALUES, slug: 'team', name: 'Team', priceMonthly: '49.5', features: '{"sso": true}' }, 'create');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.errors));
    expect(toPlanInput(parsed.slug, parsed.plan)).toEqual({
      slug: 'team',
      name: 'Team',
      description: '',
      type: 'SUBSCRIPTION',
      currency: 'USD',
      priceMonthly: 4950,
      priceAnnual: null,
      includedUnits: 0,
      overagePrice: 0,
      overageBlockUnits: 1000,
      quotaPolicy: 'hard_cap',
      rateLimitPerMinute: 60,
      maxApiKeys: null,
      maxMembers: null,
      features: { sso: true },
      isPublic: true,
      displayOrder: 0,
      trialDays: 0,
    });
  });

  it('reports every invalid field', () => {
    const parsed = parsePlanForm(
      {
        ...NEW_PLAN_VALUES,
        slug: 'Pro Plan',
        name: '',
        currency: 'us',
        priceMonthly: '19.999',
        priceAnnual: '-1',
        includedUnits: '1.5',
        overageBlockUnits: '0',
        rateLimitPerMinute: '',
        maxMembers: '0',
        displayOrder: '-2000000',
        trialDays: '731',
        features: '[1]',
      },
      'create',
    );
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(Object.keys(parsed.errors).sort()).toEqual(
      [
        'currency',
        'displayOrder',
        'features',
        'includedUnits',
        'maxMembers',
        'name',
        'overageBlockUnits',
        'priceAnnual',
        'priceMonthly',
        'rateLimitPerMinute',
        'slug',
        'trialDays',
      ].sort(),
    );
    expect(parsed.errors.priceMonthly).toBe('Use at most 2 decimal places.');
    expect(parsed.errors.priceAnnual).toBe('The amount cannot be negative.');
    expect(parsed.errors.features).toMatch(/must be a JSON object/);
  });

  it('checks money against the currency’s digits', () => {
    const jpy = parsePlanForm({ ...NEW_PLAN_VALUES, slug: 'yen', name: 'Yen', currency: 'jpy', priceMonthly: '1900', overagePrice: '5' }, 'create');
    expect(jpy.ok && jpy.plan.priceMonthly).toBe(1900);
    expect(jpy.ok && jpy.plan.currency).toBe('JPY');
    const bad = parsePlanForm({ ...NEW_PLAN_VALUES, slug: 'yen', name: 'Yen', currency: 'JPY', priceMonthly: '19.00', overagePrice: '0' }, 'create');
    expect(!bad.ok && bad.errors.priceMonthly).toBe('JPY has no minor units: enter a whole amount.');
  });

  it('parses integers and features', () => {
    expect(parseInteger('50,000', { min: 0, max: 1e12 })).toEqual({ ok: true, value: 50000 });
    expect(parseInteger('', { min: 0, max: 10, optional: true })).toEqual({ ok: true, value: null });
    expect(parseInteger('-5', { min: -10, max: 10 })).toEqual({ ok: true, value: -5 });
    expect(parseInteger('1e3', { min: 0, max: 1e6 }).ok).toBe(false);
    expect(parseFeatures('')).toEqual({ ok: true, value: {} });
    expect(parseFeatures('{"a":').ok).toBe(false);
    expect(parseFeatures(JSON.stringify({ blob: 'x'.repeat(5000) }))).toEqual({ ok: false, error: expect.stringMatching(/limit is 4 KiB/) });
    expect(canonicalJson({ b: 1, a: { d: [1, { f: 2, e: 3 }], c: null } })).toBe('{"a":{"c":null,"d":[1,{"e":3,"f":2}]},"b":1}');
  });
});
