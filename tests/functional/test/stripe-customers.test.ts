/**
 * Stripe customers, against the fake Stripe API: registration queues `stripe.create_customer`, whose job creates
 * exactly one customer per organization (form-encoded, pinned Stripe-Version, one Idempotency-Key per
 * organization, retried through Stripe's 5xx and through a refused attempt) and records its id; deleting the
 * account deletes the customer. Without STRIPE_SECRET_KEY (local billing mode) Stripe is never called.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { until } from './billing-helpers.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';

describe('Stripe customers (stripe.create_customer / stripe.delete_customer jobs)', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => ({ STRIPE_SECRET_KEY: 'sk_test_tollgate', STRIPE_API_BASE: fake.url }));
  const local = useServer({});
  printLogsOnFailure(() => `--- fake stripe requests ---\n${fake ? fake.requests.map((r) => `${r.method} ${r.path} ${r.idempotencyKey ?? ''}`).join('\n') : ''}`);

  const customersOf = (orgId: string) => [...fake.state.customers.values()].filter((c: any) => c.metadata?.organization_id === orgId);

  async function recordedCustomer(orgId: string): Promise<string> {
    return until('the customer id on the organization', async () => {
      const r = await dbQuery(server(), 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [orgId]);
      return r.rows[0]?.stripe_customer_id ?? undefined;
    });
  }

  it('registration creates one customer with the owner\'s email, the organization in metadata, and records its id', async () => {
    const t = await newTenant(server(), 'cust');
    const id = await recordedCustomer(t.orgId);
    const mine = customersOf(t.orgId);
    expect(mine).toHaveLength(1);
    expect(mine[0]).toMatchObject({ id, email: t.email, metadata: { organization_id: t.orgId } });
    const calls = fake.requests.filter((r) => r.method === 'POST' && r.path === '/v1/customers' && (r.form as any).metadata?.organization_id === t.orgId);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-create-customer-${t.orgId}`);
    expect(calls[0]!.stripeVersion).toBe('2024-06-20');
    expect(calls[0]!.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(calls[0]!.form).toMatchObject({ email: t.email, metadata: { organization_id: t.orgId } });
    expect(calls[0]!.headers.authorization).toBe('Bearer sk_test_tollgate');
  });

  it('Stripe failing with 500 twice: the client retries with the same Idempotency-Key; still one customer', async () => {
    fake.failNext('POST', '/v1/customers', 500, { times: 2 });
    const t = await newTenant(server(), 'cust-500');
    await recordedCustomer(t.orgId);
    expect(customersOf(t.orgId)).toHaveLength(1);
    const keys = fake.requests.filter((r) => r.path === '/v1/customers' && r.method === 'POST').slice(-3).map((r) => r.idempotencyKey);
    expect(keys).toEqual(Array(3).fill(`tollgate-create-customer-${t.orgId}`));
  });

  it('a refused attempt (400, not retried by the client) fails the job; the queue retries it and it succeeds once', async () => {
    fake.failNext('POST', '/v1/customers', 400, { type: 'invalid_request_error', message: 'try again later' });
    const t = await newTenant(server(), 'cust-400');
    await recordedCustomer(t.orgId);
    expect(customersOf(t.orgId)).toHaveLength(1);
    const job = await dbQuery(server(), "SELECT status, attempts FROM jobs WHERE idempotency_key = $1", [`stripe.create_customer:${t.orgId}`]);
    expect(job.rows[0]).toMatchObject({ status: 'done' });
    expect(job.rows[0].attempts).toBeGreaterThanOrEqual(2);
  });

  it('deleting the account deletes the customer at Stripe', async () => {
    const t = await newTenant(server(), 'cust-del');
    const id = await recordedCustomer(t.orgId);
    const r = await api(server(), 'delete', '/api/user/account', { token: t.token, body: { password: t.password, confirmation: 'DELETE' } });
    expect(r.status, r.text).toBe(204);
    await until('DELETE /v1/customers/{id}', () => (fake.requests.some((q) => q.method === 'DELETE' && q.path === `/v1/customers/${id}`) ? true : undefined));
    expect(fake.state.customers.get(id)?.deleted ?? !fake.state.customers.has(id)).toBeTruthy();
  });

  it('local billing mode (no STRIPE_SECRET_KEY): the job completes without calling Stripe', async () => {
    const before = fake.requests.length;
    const t = await newTenant(local(), 'cust-local');
    const job = await until('the job done', async () => {
      const r = await dbQuery(local(), "SELECT status FROM jobs WHERE idempotency_key = $1", [`stripe.create_customer:${t.orgId}`]);
      return r.rows[0]?.status === 'done' ? r.rows[0] : undefined;
    });
    expect(job.status).toBe('done');
    const row = await dbQuery(local(), 'SELECT stripe_customer_id FROM organizations WHERE id = $1', [t.orgId]);
    expect(row.rows[0].stripe_customer_id).toBeNull();
    expect(fake.requests.length).toBe(before);
  });
});
