/** GET /api/user/subscription: the active organization's plan and state, and which billing mode is active. */
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, expectOk, expectProblem } from './auth-helpers.js';
import { newTenant, setPlan } from './keys-helpers.js';

const PATH = '/api/user/subscription' as const;

describe('GET /api/user/subscription', () => {
  const server = useServer({});
  // Stripe mode only changes billingMode here; its API base points nowhere (the customer job just fails).
  const stripeMode = useServer({ STRIPE_SECRET_KEY: 'sk_test_unused', STRIPE_API_BASE: 'http://127.0.0.1:9' });
  printLogsOnFailure();

  it('401: not signed in', async () => {
    expectProblem(await api(server(), 'get', PATH), 'get', PATH, 401, 'UNAUTHORIZED');
  });

  it('200: a new organization is on Free for the calendar month (implicit), local billing mode', async () => {
    const t = await newTenant(server(), 'sub-free');
    const body = expectOk(await api(server(), 'get', PATH, { token: t.token }), 'get', PATH, 200);
    expect(body).toMatchObject({ implicit: true, status: 'active', source: 'local', interval: 'month', cancelAtPeriodEnd: false, billingMode: 'local', trialEnd: null, pastDueSince: null });
    expect(body.plan).toMatchObject({ slug: 'free', includedUnits: 1000, quotaPolicy: 'hard_cap' });
    const now = new Date();
    const start = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
    const end = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
    expect(body.currentPeriodStart).toBe(start.toISOString().replace('.000Z', 'Z'));
    expect(body.currentPeriodEnd).toBe(end.toISOString().replace('.000Z', 'Z'));
  });

  it('200: a subscription row: its plan, period and dunning state', async () => {
    const t = await newTenant(server(), 'sub-pro');
    const period = await setPlan(server(), t.orgId, 'pro', { status: 'past_due', pastDueSince: "now() - interval '1 day'", graceEndsAt: "now() + interval '6 days'" });
    const body = expectOk(await api(server(), 'get', PATH, { token: t.token }), 'get', PATH, 200);
    expect(body).toMatchObject({ implicit: false, status: 'past_due' });
    expect(body.plan.slug).toBe('pro');
    expect(new Date(body.currentPeriodStart).getTime()).toBe(new Date(period.periodStart).getTime());
    expect(new Date(body.currentPeriodEnd).getTime()).toBe(new Date(period.periodEnd).getTime());
    expect(body.pastDueSince).not.toBeNull();
    expect(new Date(body.paymentGraceEndsAt).getTime()).toBeGreaterThan(Date.now());
  });

  it('200: with STRIPE_SECRET_KEY the billing mode is stripe', async () => {
    const t = await newTenant(stripeMode(), 'sub-stripe');
    const body = expectOk(await api(stripeMode(), 'get', PATH, { token: t.token }), 'get', PATH, 200);
    expect(body.billingMode).toBe('stripe');
  });
});
