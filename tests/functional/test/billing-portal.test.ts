/**
 * POST /api/user/billing/portal: a Stripe Billing Portal session for the active organization's customer, returning
 * to APP_URL/billing. 200 (the exact request, the customer created first when the organization has none), 401,
 * 409 LOCAL_BILLING_MODE, 502/503 when Stripe fails.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';
import { APP_URL, B, customerOf, expectTollgateCall, localEnv, ok, problem, sentSince, stripeEnv, stripeTenant } from './billing-helpers.js';

describe('POST /api/user/billing/portal', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  const local = useServer(localEnv());
  printLogsOnFailure(() => (fake ? `--- fake stripe requests ---\n${fake.requests.map((r) => `${r.method} ${r.path} ${r.body.slice(0, 300)}`).join('\n')}` : ''));

  const portal = (token?: string) => api(server(), 'post', B.portal, { token });

  it('200: a portal session for the organization\'s customer, returning to APP_URL/billing', async () => {
    const t = await stripeTenant(server(), 'portal');
    const since = fake.requests.length;
    const r = await portal(t.token);
    const body = ok(r, 'post', B.portal);
    expect(r.headers.get('cache-control')).toBe('no-store');
    const calls = sentSince(fake, since);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /v1/billing_portal/sessions']);
    expectTollgateCall(calls[0]!);
    expect(calls[0]!.form).toEqual({ customer: t.customer, return_url: `${APP_URL}/billing` });
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-portal-${r.headers.get('x-request-id')}`);
    const session = fake.state.portalSessions.get(body.id);
    expect(session).toBeDefined();
    expect(body).toEqual({ id: session!.id, url: `${fake.url}/portal/${session!.id}` });
    const visit = await fetch(body.url, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe(`${APP_URL}/billing`);
  });

  it('200: an organization without a customer gets one first (the job\'s idempotency key), recorded once', async () => {
    const t = await stripeTenant(server(), 'portal-nocus');
    await dbQuery(server(), 'UPDATE organizations SET stripe_customer_id = NULL WHERE id = $1', [t.orgId]);
    const since = fake.requests.length;
    ok(await portal(t.token), 'post', B.portal);
    const calls = sentSince(fake, since);
    // The new customer is read back once (a customer deleted at Stripe must not be replayed by its idempotency key).
    expect(calls.map((c) => `${c.method} ${c.path.replace(/cus_[A-Za-z0-9]+/, 'cus_*')}`)).toEqual(['POST /v1/customers', 'GET /v1/customers/cus_*', 'POST /v1/billing_portal/sessions']);
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-create-customer-${t.orgId}`);
    const recorded = await customerOf(server(), t.orgId);
    expect(calls[2]!.form.customer).toBe(recorded);
    expect([...fake.state.customers.values()].filter((c) => c.metadata?.organization_id === t.orgId)).toHaveLength(1);
  });

  it('401: no token', async () => {
    problem(await portal(), 'post', B.portal, 401, 'UNAUTHORIZED');
    problem(await portal('garbage'), 'post', B.portal, 401, 'UNAUTHORIZED');
  });

  it('409 LOCAL_BILLING_MODE: no portal without Stripe', async () => {
    const t = await newTenant(local(), 'portal-local');
    const since = fake.requests.length;
    problem(await api(local(), 'post', B.portal, { token: t.token }), 'post', B.portal, 409, 'LOCAL_BILLING_MODE');
    expect(fake.requests.length).toBe(since);
  });

  it('502 STRIPE_ERROR: Stripe refuses the session (e.g. no portal configuration)', async () => {
    const t = await stripeTenant(server(), 'portal-502');
    fake.failNext('POST', '/v1/billing_portal/sessions', 400, { message: 'No configuration provided and your test mode default configuration has not been created.' });
    const body = problem(await portal(t.token), 'post', B.portal, 502, 'STRIPE_ERROR');
    expect(body.detail).toContain('No configuration provided');
  });

  it('503 STRIPE_UNAVAILABLE: Stripe is down (after the retries)', async () => {
    const t = await stripeTenant(server(), 'portal-503');
    const since = fake.requests.length;
    fake.failNext('POST', '/v1/billing_portal/sessions', 502, { times: 4 });
    const r = await portal(t.token);
    problem(r, 'post', B.portal, 503, 'STRIPE_UNAVAILABLE');
    expect(r.headers.get('retry-after')).toBeTruthy();
    const attempts = sentSince(fake, since, 'POST', '/v1/billing_portal/sessions');
    expect(attempts).toHaveLength(4);
    expect(new Set(attempts.map((a) => a.idempotencyKey)).size).toBe(1);
  });
});
