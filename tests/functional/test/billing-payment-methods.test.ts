/**
 * The organization's saved cards, read live from Stripe (the fake): GET /api/user/billing/payment-methods (default
 * first; brand, last4, expiry), POST /setup (Checkout in setup mode), POST /{id}/default
 * (invoice_settings[default_payment_method]), DELETE /{id} (detach). Another organization's pm_ id answers 404
 * PAYMENT_METHOD_NOT_FOUND exactly like a missing one. Local mode: an empty list, 409 LOCAL_BILLING_MODE.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startFakeStripe, type FakeStripe, type StripeObject } from '../harness/fake-stripe.js';
import { api, dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';
import {
  APP_URL,
  B,
  expectTollgateCall,
  fill,
  localEnv,
  ok,
  problem,
  sentSince,
  stripeApi,
  stripeEnv,
  stripeTenant,
  withoutRequestId,
} from './billing-helpers.js';

const view = (pm: StripeObject, isDefault: boolean) => ({
  id: pm.id,
  type: 'card',
  brand: pm.card.brand,
  last4: pm.card.last4,
  expMonth: pm.card.exp_month,
  expYear: pm.card.exp_year,
  isDefault,
});

describe('payment methods, Stripe mode', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure(() => (fake ? `--- fake stripe requests ---\n${fake.requests.map((r) => `${r.method} ${r.path}?${r.rawQuery} ${r.body.slice(0, 300)}`).join('\n')}` : ''));

  const list = (token?: string) => api(server(), 'get', B.paymentMethods, { token });
  const setDefault = (token: string | undefined, id: string) => api(server(), 'post', fill(B.pmDefault, id), { token });
  const remove = (token: string | undefined, id: string) => api(server(), 'delete', fill(B.pm, id), { token });

  /** A tenant with three cards; the mastercard is the customer's default. */
  async function withCards(tag: string) {
    const t = await stripeTenant(server(), tag);
    const visa = fake.addCard(t.customer, { brand: 'visa', last4: '4242', expMonth: 1, expYear: 2030 });
    const mc = fake.addCard(t.customer, { brand: 'mastercard', last4: '4444', expMonth: 12, expYear: 2031 });
    const amex = fake.addCard(t.customer, { brand: 'amex', last4: '8431', expMonth: 6, expYear: 2029 });
    await stripeApi(fake, 'POST', `/v1/customers/${t.customer}`, { invoice_settings: { default_payment_method: mc.id } });
    return { ...t, visa, mc, amex };
  }

  it('GET 200: the cards, the default first, then Stripe\'s order (newest first); brand, last4, expiry', async () => {
    const t = await withCards('pm-list');
    const since = fake.requests.length;
    const r = await list(t.token);
    const body = ok(r, 'get', B.paymentMethods);
    expect(r.headers.get('cache-control')).toBe('no-store');
    expect(body).toEqual({ billingMode: 'stripe', paymentMethods: [view(t.mc, true), view(t.amex, false), view(t.visa, false)] });
    const calls = sentSince(fake, since);
    calls.forEach(expectTollgateCall);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual([`GET /v1/customers/${t.customer}`, 'GET /v1/payment_methods']);
    expect(calls[1]!.query).toEqual({ customer: t.customer, type: 'card', limit: '100' });
  });

  it('GET 200: no cards (and no customer yet: nothing to ask Stripe)', async () => {
    const t = await stripeTenant(server(), 'pm-none');
    expect(ok(await list(t.token), 'get', B.paymentMethods)).toEqual({ billingMode: 'stripe', paymentMethods: [] });
    await dbQuery(server(), 'UPDATE organizations SET stripe_customer_id = NULL WHERE id = $1', [t.orgId]);
    const since = fake.requests.length;
    expect(ok(await list(t.token), 'get', B.paymentMethods)).toEqual({ billingMode: 'stripe', paymentMethods: [] });
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('POST default 200: sends invoice_settings[default_payment_method]; answers the list with it first', async () => {
    const t = await withCards('pm-default');
    const since = fake.requests.length;
    const r = await setDefault(t.token, t.visa.id);
    const body = ok(r, 'post', B.pmDefault);
    expect(body).toEqual({ billingMode: 'stripe', paymentMethods: [view(t.visa, true), view(t.amex, false), view(t.mc, false)] });
    const posts = sentSince(fake, since, 'POST');
    expect(posts).toHaveLength(1);
    expectTollgateCall(posts[0]!);
    expect(posts[0]!.path).toBe(`/v1/customers/${t.customer}`);
    expect(posts[0]!.form).toEqual({ invoice_settings: { default_payment_method: t.visa.id } });
    expect(posts[0]!.idempotencyKey).toBe(`tollgate-default-pm-${t.visa.id}-${r.headers.get('x-request-id')}`);
    expect(fake.state.customers.get(t.customer)!.invoice_settings.default_payment_method).toBe(t.visa.id);
    expect(ok(await list(t.token), 'get', B.paymentMethods).paymentMethods[0]).toEqual(view(t.visa, true));
  });

  it('DELETE 204: detaches the card at Stripe; the list no longer has it; removing the default leaves no default', async () => {
    const t = await withCards('pm-delete');
    let since = fake.requests.length;
    ok(await remove(t.token, t.amex.id), 'delete', B.pm, 204);
    const posts = sentSince(fake, since, 'POST');
    expect(posts.map((p) => p.path)).toEqual([`/v1/payment_methods/${t.amex.id}/detach`]);
    expectTollgateCall(posts[0]!);
    expect(posts[0]!.idempotencyKey).toBe(`tollgate-detach-${t.amex.id}`);
    expect(fake.state.paymentMethods.get(t.amex.id)!.customer).toBeNull();
    expect(ok(await list(t.token), 'get', B.paymentMethods).paymentMethods).toEqual([view(t.mc, true), view(t.visa, false)]);

    since = fake.requests.length;
    ok(await remove(t.token, t.mc.id), 'delete', B.pm, 204);
    expect(ok(await list(t.token), 'get', B.paymentMethods).paymentMethods).toEqual([view(t.visa, false)]);
    // Removed already: now it is not the organization's card any more.
    problem(await remove(t.token, t.amex.id), 'delete', B.pm, 404, 'PAYMENT_METHOD_NOT_FOUND');
  });

  it('404 PAYMENT_METHOD_NOT_FOUND: another organization\'s card answers exactly like a missing one, and is left alone', async () => {
    const mine = await withCards('pm-mine');
    const other = await stripeTenant(server(), 'pm-other');
    const theirs = fake.addCard(other.customer, { brand: 'visa', last4: '1881' });
    const since = fake.requests.length;
    const missingId = 'pm_1NoSuchCard0000';

    const defaultTheirs = await setDefault(mine.token, theirs.id);
    const defaultMissing = await setDefault(mine.token, missingId);
    problem(defaultTheirs, 'post', B.pmDefault, 404, 'PAYMENT_METHOD_NOT_FOUND');
    problem(defaultMissing, 'post', B.pmDefault, 404, 'PAYMENT_METHOD_NOT_FOUND');
    expect(withoutRequestId(defaultTheirs)).toEqual(withoutRequestId(defaultMissing));

    const deleteTheirs = await remove(mine.token, theirs.id);
    const deleteMissing = await remove(mine.token, missingId);
    problem(deleteTheirs, 'delete', B.pm, 404, 'PAYMENT_METHOD_NOT_FOUND');
    problem(deleteMissing, 'delete', B.pm, 404, 'PAYMENT_METHOD_NOT_FOUND');
    expect(withoutRequestId(deleteTheirs)).toEqual(withoutRequestId(deleteMissing));
    expect(withoutRequestId(deleteTheirs)).toEqual(withoutRequestId(defaultMissing));

    expect(sentSince(fake, since, 'POST'), 'nothing was changed at Stripe').toHaveLength(0);
    expect(fake.state.paymentMethods.get(theirs.id)!.customer).toBe(other.customer);
    expect(fake.state.customers.get(mine.customer)!.invoice_settings.default_payment_method).toBe(mine.mc.id);
    expect(fake.state.customers.get(other.customer)!.invoice_settings.default_payment_method).toBeNull();
  });

  it('404 PAYMENT_METHOD_NOT_FOUND: ids that are not pm_ ids (nothing asked of Stripe)', async () => {
    const t = await stripeTenant(server(), 'pm-badid');
    const since = fake.requests.length;
    for (const id of ['card_1234567890', 'pm_bad-id', 'pm_', 'src_123']) {
      problem(await setDefault(t.token, id), 'post', B.pmDefault, 404, 'PAYMENT_METHOD_NOT_FOUND');
      problem(await remove(t.token, id), 'delete', B.pm, 404, 'PAYMENT_METHOD_NOT_FOUND');
    }
    expect(sentSince(fake, since)).toHaveLength(0);
  });

  it('POST setup 200: Checkout in setup mode for the customer; completing it adds the card to the list', async () => {
    const t = await stripeTenant(server(), 'pm-setup');
    const since = fake.requests.length;
    const r = await api(server(), 'post', B.pmSetup, { token: t.token });
    const body = ok(r, 'post', B.pmSetup);
    const calls = sentSince(fake, since);
    expect(calls.map((c) => `${c.method} ${c.path}`)).toEqual(['POST /v1/checkout/sessions']);
    expectTollgateCall(calls[0]!);
    expect(calls[0]!.idempotencyKey).toBe(`tollgate-setup-${r.headers.get('x-request-id')}`);
    expect(calls[0]!.form).toEqual({
      mode: 'setup',
      customer: t.customer,
      payment_method_types: ['card'],
      success_url: `${APP_URL}/billing?setup=success`,
      cancel_url: `${APP_URL}/billing?setup=canceled`,
    });
    expect(body).toEqual({ id: expect.stringMatching(/^cs_test_/), url: `${fake.url}/checkout/${body.id}` });
    const visit = await fetch(`${body.url}?brand=mastercard&last4=5454`, { redirect: 'manual' });
    expect(visit.status).toBe(303);
    expect(visit.headers.get('location')).toBe(`${APP_URL}/billing?setup=success`);
    const cards = ok(await list(t.token), 'get', B.paymentMethods).paymentMethods;
    expect(cards).toEqual([expect.objectContaining({ brand: 'mastercard', last4: '5454', type: 'card', isDefault: false })]);
  });

  it('401: every endpoint wants a token', async () => {
    problem(await list(), 'get', B.paymentMethods, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'post', B.pmSetup), 'post', B.pmSetup, 401, 'UNAUTHORIZED');
    problem(await setDefault(undefined, 'pm_123'), 'post', B.pmDefault, 401, 'UNAUTHORIZED');
    problem(await remove(undefined, 'pm_123'), 'delete', B.pm, 401, 'UNAUTHORIZED');
  });

  it('502 STRIPE_ERROR / 503 STRIPE_UNAVAILABLE when Stripe fails', async () => {
    const t = await withCards('pm-fails');
    fake.failNext('GET', '/v1/payment_methods', 400, { message: 'Invalid type' });
    problem(await list(t.token), 'get', B.paymentMethods, 502, 'STRIPE_ERROR');
    fake.failNext('GET', `/v1/customers/${t.customer}`, 500, { shouldRetry: false });
    problem(await list(t.token), 'get', B.paymentMethods, 503, 'STRIPE_UNAVAILABLE');
    fake.failNext('POST', `/v1/customers/${t.customer}`, 400, { message: 'nope' });
    problem(await setDefault(t.token, t.visa.id), 'post', B.pmDefault, 502, 'STRIPE_ERROR');
    fake.failNext('POST', `/v1/payment_methods/${t.visa.id}/detach`, 503, { shouldRetry: false });
    problem(await remove(t.token, t.visa.id), 'delete', B.pm, 503, 'STRIPE_UNAVAILABLE');
    fake.failNext('POST', '/v1/checkout/sessions', 400, { message: 'nope' });
    problem(await api(server(), 'post', B.pmSetup, { token: t.token }), 'post', B.pmSetup, 502, 'STRIPE_ERROR');
    expect(fake.state.paymentMethods.get(t.visa.id)!.customer).toBe(t.customer);
    expect(fake.state.customers.get(t.customer)!.invoice_settings.default_payment_method).toBe(t.mc.id);
  });
});

describe('payment methods, local mode', () => {
  const server = useServer(localEnv());
  printLogsOnFailure();

  it('GET 200: an empty list in local mode', async () => {
    const t = await newTenant(server(), 'lpm');
    expect(ok(await api(server(), 'get', B.paymentMethods, { token: t.token }), 'get', B.paymentMethods)).toEqual({ billingMode: 'local', paymentMethods: [] });
  });

  it('409 LOCAL_BILLING_MODE: setup, default, delete', async () => {
    const t = await newTenant(server(), 'lpm-409');
    problem(await api(server(), 'post', B.pmSetup, { token: t.token }), 'post', B.pmSetup, 409, 'LOCAL_BILLING_MODE');
    problem(await api(server(), 'post', fill(B.pmDefault, 'pm_1Abc'), { token: t.token }), 'post', B.pmDefault, 409, 'LOCAL_BILLING_MODE');
    problem(await api(server(), 'delete', fill(B.pm, 'pm_1Abc'), { token: t.token }), 'delete', B.pm, 409, 'LOCAL_BILLING_MODE');
  });

  it('401: no token', async () => {
    problem(await api(server(), 'get', B.paymentMethods), 'get', B.paymentMethods, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'post', B.pmSetup), 'post', B.pmSetup, 401, 'UNAUTHORIZED');
  });
});
