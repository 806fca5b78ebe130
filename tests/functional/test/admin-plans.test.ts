/**
 * The plan catalog as administrators edit it: GET/POST /api/admin/plans and PATCH /api/admin/plans/{id}
 * (local billing mode: no Stripe sync involved). Access (401/403/ADMIN_2FA_REQUIRED), defaults, validation,
 * slug conflicts, partial updates, archiving (hidden from the catalog, kept by subscribers), the audit trail, and
 * limit changes reaching /v1/keys/verify within a second.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { api, dbQuery, enableTwoFactor, loginOk, loginWith2fa, makeAdmin, registerAccount } from './auth-helpers.js';
import { createKey, createServiceToken, newTenant, verifyOk } from './keys-helpers.js';
import {
  A,
  adminPlans,
  adminSignIn,
  createPlanApi,
  fill,
  invalidField,
  localEnv,
  okJson,
  patchPlanApi,
  problemOf,
  slugOf,
  subscribeLocal,
  subscriptionOf,
  type Admin,
} from './billing-admin-helpers.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The smallest valid create body. */
function minimal(tag = 'ap', extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { slug: slugOf(tag), name: `Plan ${tag}`, type: 'HYBRID', priceMonthly: 1500, rateLimitPerMinute: 120, ...extra };
}

/** Every field of a plan, none at its default. */
function full(tag = 'full'): Record<string, unknown> {
  return {
    slug: slugOf(tag),
    name: 'Full plan',
    description: 'All fields given',
    type: 'HYBRID',
    currency: 'EUR',
    priceMonthly: 4900,
    priceAnnual: 49000,
    includedUnits: 250000,
    overagePrice: 35,
    overageBlockUnits: 500,
    quotaPolicy: 'allow_overage',
    rateLimitPerMinute: 600,
    maxApiKeys: 12,
    maxMembers: 4,
    features: { support: 'email', csv_export: true, seats: 4 },
    status: 'active',
    isPublic: false,
    displayOrder: 77,
    trialDays: 7,
  };
}

describe('admin plan catalog API', () => {
  const server = useServer(localEnv());
  printLogsOnFailure();

  let admin: Admin;
  /** A signed-in user who is not an administrator. */
  let userToken: string;
  /** An ADMIN without two-factor authentication. */
  let no2faToken: string;

  beforeAll(async () => {
    admin = await adminSignIn(server());
    const u = await registerAccount(server(), {}, 'plan-user');
    userToken = u.result.accessToken;
    const n = await registerAccount(server(), {}, 'plan-admin-no2fa');
    await makeAdmin(server(), n.result.user.id);
    no2faToken = (await loginOk(server(), n.email, n.password)).accessToken;
  });

  const post = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) =>
    api(server(), 'post', A.plans, { token, body, headers });
  const patch = (token: string | undefined, id: string, body: unknown, headers: Record<string, string> = {}) =>
    api(server(), 'patch', fill(A.plan, id), { token, body, headers });
  const list = (token: string | undefined) => api(server(), 'get', A.plans, { token });

  async function planCount(slug: string): Promise<number> {
    const r = await dbQuery(server(), 'SELECT count(*)::int AS n FROM plans WHERE slug = $1', [slug]);
    return r.rows[0].n;
  }

  async function publicSlugs(): Promise<string[]> {
    const r = await request(server().baseUrl + A.publicPlans);
    const body = okJson(r, 'get', A.publicPlans, 200);
    return (body.plans ?? body).map((p: any) => p.slug);
  }

  // ------------------------------------------------------------------------------------------- access

  it('401 UNAUTHORIZED: no token, or a token that is not one, on every admin plan route', async () => {
    const id = crypto.randomUUID();
    for (const token of [undefined, 'not-a-jwt']) {
      problemOf(await list(token), 'get', A.plans, 401, 'UNAUTHORIZED');
      problemOf(await post(token, minimal()), 'post', A.plans, 401, 'UNAUTHORIZED');
      problemOf(await patch(token, id, { name: 'x' }), 'patch', A.plan, 401, 'UNAUTHORIZED');
    }
  });

  it('403 FORBIDDEN: a signed-in user who is not an admin; nothing is created', async () => {
    const body = minimal('forbidden');
    problemOf(await list(userToken), 'get', A.plans, 403, 'FORBIDDEN');
    problemOf(await post(userToken, body), 'post', A.plans, 403, 'FORBIDDEN');
    const starter = (await adminPlans(server(), admin.token)).find((p) => p.slug === 'starter');
    problemOf(await patch(userToken, starter.id, { name: 'Hijacked' }), 'patch', A.plan, 403, 'FORBIDDEN');
    expect(await planCount(body.slug as string)).toBe(0);
    expect((await adminPlans(server(), admin.token)).find((p) => p.slug === 'starter').name).toBe('Starter');
  });

  it('403 ADMIN_2FA_REQUIRED: an admin without two-factor authentication', async () => {
    const body = minimal('no2fa');
    problemOf(await list(no2faToken), 'get', A.plans, 403, 'ADMIN_2FA_REQUIRED');
    problemOf(await post(no2faToken, body), 'post', A.plans, 403, 'ADMIN_2FA_REQUIRED');
    problemOf(await patch(no2faToken, crypto.randomUUID(), { name: 'x' }), 'patch', A.plan, 403, 'ADMIN_2FA_REQUIRED');
    expect(await planCount(body.slug as string)).toBe(0);
  });

  it('403 FORBIDDEN: a non-admin with 2FA enabled is still not an admin', async () => {
    const u = await registerAccount(server(), {}, 'plan-user-2fa');
    const tf = await enableTwoFactor(server(), u.result.accessToken, u.password);
    const s = await loginWith2fa(server(), u.email, u.password, tf.secret);
    problemOf(await list(s.accessToken), 'get', A.plans, 403, 'FORBIDDEN');
  });

  // --------------------------------------------------------------------------------------------- list

  it('200 list: every plan (archived and hidden ones too), in display order, with subscriber counts and Stripe state', async () => {
    const archived = await createPlanApi(server(), admin.token, minimal('archived', { status: 'archived' }));
    const hidden = await createPlanApi(server(), admin.token, minimal('hidden', { isPublic: false, displayOrder: -5 }));
    const counted = await createPlanApi(server(), admin.token, minimal('counted'));
    const t1 = await newTenant(server(), 'count-1');
    const t2 = await newTenant(server(), 'count-2');
    const t3 = await newTenant(server(), 'count-3');
    await subscribeLocal(server(), t1, counted.slug);
    await subscribeLocal(server(), t2, counted.slug);
    await subscribeLocal(server(), t3, counted.slug);
    // Leaving the plan (back to Free) ends that subscription: it no longer counts.
    await subscribeLocal(server(), t3, 'free');

    const r = await list(admin.token);
    const body = okJson(r, 'get', A.plans, 200);
    expect(r.headers.get('cache-control')).toContain('no-store');
    const plans: any[] = body.plans;
    const slugs = plans.map((p) => p.slug);
    for (const s of ['free', 'starter', 'pro', 'business', archived.slug, hidden.slug, counted.slug]) expect(slugs).toContain(s);
    expect(plans.find((p) => p.slug === archived.slug).status).toBe('archived');
    expect(plans.find((p) => p.slug === hidden.slug).isPublic).toBe(false);
    expect(plans.find((p) => p.slug === counted.slug).subscribers).toBe(2);
    expect(plans.find((p) => p.slug === archived.slug).subscribers).toBe(0);
    // Local billing mode: nothing was synced to Stripe.
    for (const p of plans) {
      expect(p.stripe).toEqual({ productId: null, priceMonthlyId: null, priceAnnualId: null, priceMeteredId: null, meterId: null, syncedAt: null });
    }
    // Ordered by displayOrder, then monthly price, then slug.
    const sorted = [...plans].sort(
      (a, b) => a.displayOrder - b.displayOrder || a.priceMonthly - b.priceMonthly || (a.slug < b.slug ? -1 : a.slug > b.slug ? 1 : 0),
    );
    expect(slugs).toEqual(sorted.map((p) => p.slug));
    expect(slugs.indexOf(hidden.slug)).toBeLessThan(slugs.indexOf('free'));
    // The seeded Starter plan as the migration defines it.
    expect(plans.find((p) => p.slug === 'starter')).toMatchObject({
      name: 'Starter',
      type: 'HYBRID',
      currency: 'USD',
      priceMonthly: 1900,
      priceAnnual: 19000,
      includedUnits: 50000,
      overagePrice: 50,
      overageBlockUnits: 1000,
      quotaPolicy: 'allow_overage',
      rateLimitPerMinute: 60,
      status: 'active',
      isPublic: true,
    });
  });

  // ------------------------------------------------------------------------------------------- create

  it('201 create: the defaults of omitted fields; the plan is in the public catalog', async () => {
    const body = minimal('defaults');
    const r = await post(admin.token, body);
    const p = okJson(r, 'post', A.plans, 201);
    expect(r.headers.get('cache-control')).toContain('no-store');
    expect(p.id).toMatch(UUID_RE);
    expect(p).toEqual({
      id: p.id,
      slug: body.slug,
      name: body.name,
      description: '',
      type: 'HYBRID',
      currency: 'USD',
      priceMonthly: 1500,
      priceAnnual: null,
      includedUnits: 0,
      overagePrice: 0,
      overageBlockUnits: 1000,
      quotaPolicy: 'hard_cap',
      rateLimitPerMinute: 120,
      maxApiKeys: null,
      maxMembers: null,
      features: {},
      trialDays: 0,
      status: 'active',
      isPublic: true,
      displayOrder: 0,
      subscribers: 0,
      stripe: { productId: null, priceMonthlyId: null, priceAnnualId: null, priceMeteredId: null, meterId: null, syncedAt: null },
    });
    expect(await publicSlugs()).toContain(body.slug);
    // The same document in the list.
    expect((await adminPlans(server(), admin.token)).find((x) => x.id === p.id)).toEqual(p);
  });

  it('201 create: PAY_AS_YOU_GO defaults to allow_overage; SUBSCRIPTION to hard_cap', async () => {
    const payg = await createPlanApi(server(), admin.token, minimal('payg', { type: 'PAY_AS_YOU_GO', priceMonthly: 0, overagePrice: 10 }));
    expect(payg.quotaPolicy).toBe('allow_overage');
    const sub = await createPlanApi(server(), admin.token, minimal('subonly', { type: 'SUBSCRIPTION' }));
    expect(sub.quotaPolicy).toBe('hard_cap');
  });

  it('201 create: every field given is stored as given', async () => {
    const body = full();
    const p = await createPlanApi(server(), admin.token, body);
    const { slug, ...rest } = body;
    expect(p).toMatchObject({ slug, ...rest, subscribers: 0 });
    // Not public: absent from the catalog, present for admins.
    expect(await publicSlugs()).not.toContain(slug);
  });

  it('201 create: name and description lengths are counted in characters (the contract\'s maxLength), not bytes', async () => {
    const name = 'é'.repeat(100); // 100 characters, 200 bytes in UTF-8
    const description = 'ü'.repeat(2000);
    const p = await createPlanApi(server(), admin.token, minimal('utf8', { name, description }));
    expect(p.name).toBe(name);
    expect(p.description).toBe(description);
    invalidField(await post(admin.token, minimal('utf8', { name: 'é'.repeat(101) })), 'post', A.plans, 'name');
  });

  it('409 PLAN_SLUG_TAKEN: a seeded slug, and a slug created earlier; nothing changes', async () => {
    problemOf(await post(admin.token, minimal('x', { slug: 'starter', name: 'Other starter' })), 'post', A.plans, 409, 'PLAN_SLUG_TAKEN');
    const first = await createPlanApi(server(), admin.token, minimal('dup'));
    problemOf(await post(admin.token, minimal('x', { slug: first.slug, priceMonthly: 1 })), 'post', A.plans, 409, 'PLAN_SLUG_TAKEN');
    const after = await adminPlans(server(), admin.token);
    expect(after.filter((p) => p.slug === first.slug)).toEqual([first]);
    expect(after.find((p) => p.slug === 'starter').name).toBe('Starter');
    const audit = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE action = 'admin.plan.created' AND metadata->>'slug' = 'starter'`);
    expect(audit.rows[0].n).toBe(0);
  });

  it('422 VALIDATION_FAILED: each invalid create names its field, and creates nothing', async () => {
    const big = { blob: 'x'.repeat(4100) };
    const cases: Array<[string, Record<string, unknown>]> = [
      ['slug', minimal('v', { slug: 'Bad_Slug' })],
      ['slug', minimal('v', { slug: '-leading-dash' })],
      ['slug', minimal('v', { slug: 'a'.repeat(64) })],
      ['slug', minimal('v', { slug: '' })],
      ['slug', minimal('v', { slug: 42 })],
      ['color', minimal('v', { color: 'red' })],
      ['quotaPolicy', minimal('v', { type: 'PAY_AS_YOU_GO', quotaPolicy: 'hard_cap' })],
      ['priceMonthly', minimal('v', { priceMonthly: -1 })],
      ['priceMonthly', minimal('v', { priceMonthly: 1.5 })],
      ['priceMonthly', minimal('v', { priceMonthly: '1500' })],
      ['priceAnnual', minimal('v', { priceAnnual: -100 })],
      ['overagePrice', minimal('v', { overagePrice: -1 })],
      ['overageBlockUnits', minimal('v', { overageBlockUnits: 0 })],
      ['includedUnits', minimal('v', { includedUnits: -10 })],
      ['rateLimitPerMinute', minimal('v', { rateLimitPerMinute: 0 })],
      ['maxMembers', minimal('v', { maxMembers: 0 })],
      ['maxApiKeys', minimal('v', { maxApiKeys: -1 })],
      ['features', minimal('v', { features: ['a', 'b'] })],
      ['features', minimal('v', { features: 'all' })],
      ['features', minimal('v', { features: null })],
      ['features', minimal('v', { features: big })],
      ['type', minimal('v', { type: 'FREEMIUM' })],
      ['currency', minimal('v', { currency: 'usd' })],
      ['name', minimal('v', { name: '   ' })],
      ['name', minimal('v', { name: 'n'.repeat(101) })],
      ['description', minimal('v', { description: 'd'.repeat(2001) })],
      ['status', minimal('v', { status: 'deleted' })],
      ['isPublic', minimal('v', { isPublic: 'yes' })],
      ['trialDays', minimal('v', { trialDays: 731 })],
      ['displayOrder', minimal('v', { displayOrder: 2_000_000 })],
    ];
    for (const field of ['slug', 'name', 'type', 'priceMonthly', 'rateLimitPerMinute']) {
      const b = minimal('v');
      delete b[field];
      cases.push([field, b]);
    }
    for (const [field, body] of cases) {
      const r = await post(admin.token, body);
      invalidField(r, 'post', A.plans, field);
      if (typeof body.slug === 'string' && body.slug) expect(await planCount(body.slug), `no plan created for ${JSON.stringify(body).slice(0, 200)}`).toBe(0);
    }
    // 4 KiB of features is the limit: just under it is accepted.
    const near = { blob: 'x'.repeat(4000) };
    expect(JSON.stringify(near).length).toBeLessThanOrEqual(4096);
    await createPlanApi(server(), admin.token, minimal('bigfeat', { features: near }));
  });

  it('422 VALIDATION_FAILED: a body that is not a JSON object', async () => {
    for (const body of ['[]', '"plan"', '42', 'null']) {
      problemOf(await post(admin.token, body), 'post', A.plans, 422, 'VALIDATION_FAILED');
    }
  });

  it('415 UNSUPPORTED_MEDIA_TYPE: a body that is not sent as application/json', async () => {
    const body = minimal('ctype');
    const r = await api(server(), 'post', A.plans, {
      token: admin.token,
      body: JSON.stringify(body),
      headers: { 'content-type': 'text/plain' },
    });
    problemOf(r, 'post', A.plans, 415, 'UNSUPPORTED_MEDIA_TYPE');
    const form = await api(server(), 'post', A.plans, {
      token: admin.token,
      body: 'slug=x&name=y',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    problemOf(form, 'post', A.plans, 415, 'UNSUPPORTED_MEDIA_TYPE');
    expect(await planCount(body.slug as string)).toBe(0);
  });

  it('400 MALFORMED_JSON: a body that is not JSON', async () => {
    problemOf(await post(admin.token, '{"slug": "broken", '), 'post', A.plans, 400, 'MALFORMED_JSON');
    const p = await createPlanApi(server(), admin.token, minimal('malformed'));
    problemOf(await patch(admin.token, p.id, '{name: unquoted}'), 'patch', A.plan, 400, 'MALFORMED_JSON');
  });

  // -------------------------------------------------------------------------------------------- update

  it('PATCH 200: changes only the given fields', async () => {
    const created = await createPlanApi(server(), admin.token, full('patch'));
    const r = await patch(admin.token, created.id, { name: 'Renamed plan', includedUnits: 300000, priceAnnual: null, features: { new: 1 } });
    const updated = okJson(r, 'patch', A.plan, 200);
    expect(r.headers.get('cache-control')).toContain('no-store');
    expect(updated).toEqual({ ...created, name: 'Renamed plan', includedUnits: 300000, priceAnnual: null, features: { new: 1 } });
    // A second change keeps the first.
    const again = await patchPlanApi(server(), admin.token, created.id, { maxApiKeys: null, displayOrder: -3 });
    expect(again).toEqual({ ...updated, maxApiKeys: null, displayOrder: -3 });
    expect((await adminPlans(server(), admin.token)).find((p) => p.id === created.id)).toEqual(again);
  });

  it('PATCH 422: the slug cannot change; unknown fields, an empty body, and invalid values are refused', async () => {
    const created = await createPlanApi(server(), admin.token, minimal('patch422'));
    invalidField(await patch(admin.token, created.id, { slug: 'another-slug' }), 'patch', A.plan, 'slug');
    invalidField(await patch(admin.token, created.id, { slug: created.slug }), 'patch', A.plan, 'slug');
    invalidField(await patch(admin.token, created.id, { colour: 'blue' }), 'patch', A.plan, 'colour');
    invalidField(await patch(admin.token, created.id, {}), 'patch', A.plan, 'body');
    invalidField(await patch(admin.token, created.id, { priceMonthly: -5 }), 'patch', A.plan, 'priceMonthly');
    invalidField(await patch(admin.token, created.id, { name: null }), 'patch', A.plan, 'name');
    invalidField(await patch(admin.token, created.id, { features: 'x' }), 'patch', A.plan, 'features');
    invalidField(await patch(admin.token, created.id, { status: 'gone' }), 'patch', A.plan, 'status');
    // The merged plan is validated: a HYBRID hard_cap plan cannot just become PAY_AS_YOU_GO.
    invalidField(await patch(admin.token, created.id, { type: 'PAY_AS_YOU_GO' }), 'patch', A.plan, 'quotaPolicy');
    problemOf(await patch(admin.token, created.id, '[]'), 'patch', A.plan, 422, 'VALIDATION_FAILED');
    const r = await api(server(), 'patch', fill(A.plan, created.id), {
      token: admin.token,
      body: JSON.stringify({ name: 'x' }),
      headers: { 'content-type': 'text/plain' },
    });
    problemOf(r, 'patch', A.plan, 415, 'UNSUPPORTED_MEDIA_TYPE');
    // Nothing changed; with both fields it is fine.
    expect((await adminPlans(server(), admin.token)).find((p) => p.id === created.id)).toEqual(created);
    const payg = await patchPlanApi(server(), admin.token, created.id, { type: 'PAY_AS_YOU_GO', quotaPolicy: 'allow_overage' });
    expect(payg).toMatchObject({ type: 'PAY_AS_YOU_GO', quotaPolicy: 'allow_overage', slug: created.slug });
  });

  it('PATCH 404 PLAN_NOT_FOUND: an unknown uuid, and an id that is not a uuid', async () => {
    problemOf(await patch(admin.token, crypto.randomUUID(), { name: 'Nobody' }), 'patch', A.plan, 404, 'PLAN_NOT_FOUND');
    problemOf(await patch(admin.token, 'not-a-uuid', { name: 'Nobody' }), 'patch', A.plan, 404, 'PLAN_NOT_FOUND');
    problemOf(await patch(admin.token, 'starter', { name: 'Nobody' }), 'patch', A.plan, 404, 'PLAN_NOT_FOUND');
  });

  it('archive: hidden from GET /api/plans and closed to new subscribers, while a subscribed organization keeps it', async () => {
    const created = await createPlanApi(server(), admin.token, minimal('archive', { includedUnits: 5000 }));
    const t = await newTenant(server(), 'archived-sub');
    await subscribeLocal(server(), t, created.slug);
    expect(await publicSlugs()).toContain(created.slug);

    const archived = await patchPlanApi(server(), admin.token, created.id, { status: 'archived' });
    expect(archived).toMatchObject({ status: 'archived', subscribers: 1 });
    expect(await publicSlugs()).not.toContain(created.slug);
    const listed = (await adminPlans(server(), admin.token)).find((p) => p.id === created.id);
    expect(listed.status).toBe('archived');

    const sub = await subscriptionOf(server(), t.token);
    expect(sub.plan.slug).toBe(created.slug);
    expect(sub.plan.id).toBe(created.id);
    expect(sub.implicit).toBe(false);
    expect(sub.status).toBe('active');

    // Nobody new can choose it.
    const other = await newTenant(server(), 'archived-new');
    const r = await api(server(), 'post', A.change, { token: other.token, body: { plan: created.slug } });
    problemOf(r, 'post', A.change, 409, 'PLAN_ARCHIVED');

    // Reactivated: back in the catalog.
    await patchPlanApi(server(), admin.token, created.id, { status: 'active' });
    expect(await publicSlugs()).toContain(created.slug);
  });

  it('audit log: admin.plan.created and admin.plan.updated with the admin, the plan and the request id', async () => {
    const body = minimal('audited');
    const cr = await post(admin.token, body);
    const created = okJson(cr, 'post', A.plans, 201);
    const pr = await patch(admin.token, created.id, { name: 'Audited plan', rateLimitPerMinute: 99 });
    okJson(pr, 'patch', A.plan, 200);
    const rows = (
      await dbQuery(
        server(),
        `SELECT action, actor_type, actor_user_id::text AS actor, target_type, target_id, request_id, metadata
           FROM audit_log WHERE target_id = $1 AND action LIKE 'admin.plan.%' ORDER BY id`,
        [created.id],
      )
    ).rows;
    expect(rows.length).toBe(2);
    expect(rows[0]).toMatchObject({
      action: 'admin.plan.created',
      actor_type: 'admin',
      actor: admin.userId,
      target_type: 'plan',
      target_id: created.id,
      request_id: cr.headers.get('x-request-id'),
    });
    expect(rows[0].metadata.slug).toBe(body.slug);
    expect(rows[1]).toMatchObject({
      action: 'admin.plan.updated',
      actor_type: 'admin',
      actor: admin.userId,
      target_type: 'plan',
      target_id: created.id,
      request_id: pr.headers.get('x-request-id'),
    });
    expect([...rows[1].metadata.changed].sort()).toEqual(['name', 'rateLimitPerMinute']);
    // Refused requests leave no trace.
    await patch(admin.token, created.id, { slug: 'nope' });
    const n = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE target_id = $1`, [created.id]);
    expect(n.rows[0].n).toBe(2);
    // Visible through the admin audit log API too.
    const page = await api(server(), 'get', '/api/admin/audit-log?action=admin.plan.', { token: admin.token });
    const items = okJson(page, 'get', '/api/admin/audit-log', 200).items;
    expect(items.some((x: any) => x.action === 'admin.plan.created' && x.targetId === created.id)).toBe(true);
  });

  it('limit changes reach /v1/keys/verify within a second: includedUnits, then rateLimitPerMinute', async () => {
    const plan = await createPlanApi(server(), admin.token, minimal('limits', { includedUnits: 3, quotaPolicy: 'hard_cap', rateLimitPerMinute: 1000 }));
    const t = await newTenant(server(), 'limits');
    await subscribeLocal(server(), t, plan.slug);
    const svc = await createServiceToken(server());
    const { secret } = await createKey(server(), t.token, { name: 'limits' });

    const first = await verifyOk(server(), svc, { key: secret, cost: 3 });
    expect(first.json).toMatchObject({ code: 'VALID', plan: plan.slug });
    expect(first.json.quota.limit).toBe(3);
    expect((await verifyOk(server(), svc, { key: secret, cost: 1 })).json.code).toBe('USAGE_EXCEEDED');

    /** Polls verify every 50 ms until `accept` holds; returns when (ms after `since`) the accepted request was sent. */
    const firstSeen = async (body: Record<string, unknown>, accept: (j: any) => boolean, since: number) => {
      const seen: string[] = [];
      for (;;) {
        const sentAt = Date.now() - since;
        const r = await verifyOk(server(), svc, body);
        seen.push(`${r.json.code}/${r.json.quota?.limit}/${r.json.ratelimit?.limit}`);
        if (accept(r.json)) return { at: sentAt, seen };
        if (Date.now() - since > 3000) return { at: -1, seen };
        await new Promise((res) => setTimeout(res, 50));
      }
    };

    let t0 = Date.now();
    await patchPlanApi(server(), admin.token, plan.id, { includedUnits: 100 });
    let seen = await firstSeen({ key: secret, cost: 1 }, (j) => j.code === 'VALID' && j.quota?.limit === 100, t0);
    expect(seen.at, `the new quota within 1 s: ${seen.seen.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(seen.at, `the new quota within 1 s: ${seen.seen.join(', ')}`).toBeLessThanOrEqual(1000);

    t0 = Date.now();
    await patchPlanApi(server(), admin.token, plan.id, { rateLimitPerMinute: 2 });
    seen = await firstSeen({ key: secret, cost: 1 }, (j) => j.ratelimit?.limit === 2, t0);
    expect(seen.at, `the new rate limit within 1 s: ${seen.seen.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(seen.at, `the new rate limit within 1 s: ${seen.seen.join(', ')}`).toBeLessThanOrEqual(1000);
    let code = '';
    for (let i = 0; i < 4 && code !== 'RATE_LIMITED'; i++) code = (await verifyOk(server(), svc, { key: secret, cost: 1 })).json.code;
    expect(code, 'a 2/minute plan limits the key').toBe('RATE_LIMITED');

    t0 = Date.now();
    await patchPlanApi(server(), admin.token, plan.id, { rateLimitPerMinute: 1000 });
    seen = await firstSeen({ key: secret, cost: 1 }, (j) => j.code === 'VALID' && j.ratelimit?.limit === 1000, t0);
    expect(seen.at, `the raised rate limit within 1 s: ${seen.seen.join(', ')}`).toBeGreaterThanOrEqual(0);
    expect(seen.at, `the raised rate limit within 1 s: ${seen.seen.join(', ')}`).toBeLessThanOrEqual(1000);
  });
});
