/**
 * The admin organization directory and its actions: GET /api/admin/organizations (search, filters, pagination),
 * GET /api/admin/organizations/{id}, suspend / reactivate (the organization's keys are refused by the gateway and
 * by POST /v1/keys/verify within a second, and work again after), and POST …/plan (a comped `manual`
 * subscription whose quota and rate limit reach the keys within a second). Every action is audited with its reason.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, dbQuery } from './auth-helpers.js';
import { KEYS, createKey, createPlan, createServiceToken, keyUrl, newTenant, setPlan, verifyOk, type Tenant } from './keys-helpers.js';
import { gw, expectGwOk, expectGwProblem, rateHeaders } from './gateway-helpers.js';
import { addMember, call as orgCall, createOrg, insertInvoice } from './org-helpers.js';
import {
  ADMIN_ENV,
  AD,
  adminSignIn,
  at,
  expectAdminAudit,
  invalid,
  marker,
  ok,
  problem,
  sentWithin,
  type Admin,
} from './admin-helpers.js';

describe('admin: organizations', () => {
  const server = useServer(ADMIN_ENV);
  printLogsOnFailure();

  let admin: Admin;
  let serviceToken: string;

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'orgs-admin');
    serviceToken = await createServiceToken(server());
  });

  const call = (method: string, url: string, body?: unknown, token = admin.token) => api(server(), method, url, { token, body });
  const list = (query: Record<string, string>) => call('get', `${AD.orgs}?${new URLSearchParams(query).toString()}`);
  const listOk = async (query: Record<string, string>) => ok(await list(query), 'get', AD.orgs, 200);
  const detail = (id: string) => call('get', at(AD.org, id));
  const detailOk = async (id: string) => ok(await detail(id), 'get', AD.org, 200);
  const ids = (page: any) => page.items.map((x: any) => x.id);

  /** A key of organization `org` (created by a member with `token`), with a generous per-key limit. */
  async function orgKey(token: string, org: string): Promise<{ key: any; secret: string }> {
    const r = await orgCall(server(), 'post', KEYS, { token, org, body: { name: `k-${marker()}`, rateLimitPerMinute: 100000 } });
    const b = ok(r, 'post', KEYS, 201);
    return { key: b.key, secret: b.secret };
  }

  const gwCall = (secret: string) => gw(server(), 'GET', '/echo/org-check', { key: secret });
  const verifyJson = async (secret: string) => (await verifyOk(server(), serviceToken, { key: secret })).json;

  // ------------------------------------------------------------------------------------------------ list

  describe('GET /api/admin/organizations', () => {
    const mk = marker('org');
    let ownerA: Tenant, ownerB: Tenant;
    let t1: any, t2: any, t3: any, t4: any;
    const suspendReason = 'Chargeback pending';

    beforeAll(async () => {
      ownerA = await newTenant(server(), 'orgs-owner-a');
      ownerB = await newTenant(server(), 'orgs-owner-b');
      t1 = await createOrg(server(), ownerA, `Acme ${mk} one`);
      t2 = await createOrg(server(), ownerA, `Acme ${mk} two`);
      t3 = await createOrg(server(), ownerB, `Acme ${mk} three`);
      t4 = await createOrg(server(), ownerB, `Acme ${mk} four`);
      await setPlan(server(), t2.id, 'business');
      ok(await call('post', at(AD.orgSuspend, t3.id), { reason: suspendReason }), 'post', AD.orgSuspend, 200);
      await dbQuery(server(), `UPDATE organizations SET status = 'deleted', deleted_at = now() WHERE id = $1`, [t4.id]);
    });

    it('200: search by name (case-insensitive), newest first, deleted ones hidden; total/page/pageSize', async () => {
      const page = await listOk({ q: mk });
      expect(ids(page)).toEqual([t3.id, t2.id, t1.id]);
      expect(page).toMatchObject({ total: 3, page: 1, pageSize: 25 });
      expect(ids(await listOk({ q: `ACME ${mk.toUpperCase()} TWO` }))).toEqual([t2.id]);
    });

    it('200: search by the owner\'s email (their personal organization too), and by id', async () => {
      const page = await listOk({ q: ownerA.email });
      expect(ids(page)).toEqual([t2.id, t1.id, ownerA.orgId]);
      expect(ids(await listOk({ q: t1.id }))).toEqual([t1.id]);
      expect(ids(await listOk({ q: t1.id.toUpperCase() }))).toEqual([t1.id]);
    });

    it('200: the items carry owner, member count, plan and status', async () => {
      const byId = new Map((await listOk({ q: mk })).items.map((x: any) => [x.id, x]));
      const i2: any = byId.get(t2.id);
      expect(i2).toMatchObject({ name: `Acme ${mk} two`, personal: false, status: 'active', statusReason: null, memberCount: 1 });
      expect(i2.owner).toMatchObject({ id: ownerA.userId, email: ownerA.email });
      expect(i2.plan).toMatchObject({ slug: 'business' });
      const i3: any = byId.get(t3.id);
      expect(i3).toMatchObject({ status: 'suspended', statusReason: suspendReason });
      expect(i3.plan ?? null).toBeNull();
    });

    it('200: status and plan filters', async () => {
      expect(ids(await listOk({ q: mk, status: 'suspended' }))).toEqual([t3.id]);
      expect(ids(await listOk({ q: mk, status: 'active' }))).toEqual([t2.id, t1.id]);
      expect(ids(await listOk({ q: mk, status: 'deleted' }))).toEqual([t4.id]);
      expect(ids(await listOk({ q: mk, plan: 'business' }))).toEqual([t2.id]);
      expect(ids(await listOk({ q: mk, plan: 'free' }))).toEqual([t3.id, t1.id]);
      expect((await listOk({ q: mk, plan: 'pro' })).total).toBe(0);
      expect(ids(await listOk({ q: mk, plan: 'free', status: 'active' }))).toEqual([t1.id]);
    });

    it('200: pagination and literal LIKE wildcards', async () => {
      const p1 = await listOk({ q: mk, pageSize: '2' });
      const p2 = await listOk({ q: mk, pageSize: '2', page: '2' });
      const p3 = await listOk({ q: mk, pageSize: '2', page: '3' });
      expect([p1.total, p2.total, p3.total]).toEqual([3, 3, 3]);
      expect([...ids(p1), ...ids(p2)]).toEqual([t3.id, t2.id, t1.id]);
      expect(p3.items).toEqual([]);
      expect((await listOk({ q: `${mk}%` })).total).toBe(0);
      expect((await listOk({ q: '%' })).total).toBe(0);
    });

    it('422: bad page, pageSize, status, q', async () => {
      const cases: Array<[Record<string, string>, string]> = [
        [{ page: '0' }, 'page'],
        [{ page: 'x' }, 'page'],
        [{ pageSize: '0' }, 'pageSize'],
        [{ pageSize: '101' }, 'pageSize'],
        [{ status: 'closed' }, 'status'],
        [{ q: 'q'.repeat(201) }, 'q'],
      ];
      for (const [query, field] of cases) invalid(await list(query), 'get', AD.orgs, field);
    });
  });

  // ---------------------------------------------------------------------------------------------- detail

  describe('GET /api/admin/organizations/{id}', () => {
    it('200: members, subscription, key counts and invoices', async () => {
      const owner = await newTenant(server(), 'orgd-owner');
      const member = await newTenant(server(), 'orgd-member');
      const billing = await newTenant(server(), 'orgd-billing');
      const team = await createOrg(server(), owner, `Detail ${marker()}`);
      await setPlan(server(), team.id, 'business');
      await addMember(server(), team.id, member, 'MEMBER', owner.userId);
      await addMember(server(), team.id, billing, 'BILLING', owner.userId);
      const k1 = await orgKey(owner.token, team.id);
      const k2 = await orgKey(owner.token, team.id);
      ok(await orgCall(server(), 'delete', keyUrl(k2.key.id), { token: owner.token, org: team.id }), 'delete', '/api/user/api-keys/{id}', 204);
      const invoiceId = await insertInvoice(server(), team.id, 4200);

      const doc = await detailOk(team.id);
      expect(doc).toMatchObject({ id: team.id, name: team.name, personal: false, status: 'active', memberCount: 3 });
      expect(doc.owner).toMatchObject({ id: owner.userId, email: owner.email });
      expect(doc.members.map((m: any) => [m.userId, m.role, m.status])).toEqual([
        [owner.userId, 'OWNER', 'active'],
        [member.userId, 'MEMBER', 'active'],
        [billing.userId, 'BILLING', 'active'],
      ]);
      expect(doc.members[1].email).toBe(member.email);
      expect(doc.subscription).toMatchObject({ status: 'active', includedUnits: 5000000 });
      expect(doc.subscription.plan).toMatchObject({ slug: 'business', name: 'Business' });
      expect(doc.keys).toEqual({ active: 1, total: 2 });
      expect(doc.invoices.map((i: any) => i.id)).toEqual([invoiceId]);
      expect(doc.invoices[0]).toMatchObject({ status: 'open', total: 4200, currency: 'USD' });
      expect(JSON.stringify(doc)).not.toContain(k1.secret);
    });

    it('200: a personal organization without a subscription (subscription null)', async () => {
      const t = await newTenant(server(), 'orgd-personal');
      const doc = await detailOk(t.orgId);
      expect(doc).toMatchObject({ id: t.orgId, personal: true, memberCount: 1, subscription: null, invoices: [] });
      expect(doc.keys).toEqual({ active: 0, total: 0 });
    });

    it('200: an annual subscription shows the yearly pool (12 × the monthly included units), in the user detail too', async () => {
      const t = await newTenant(server(), 'orgd-annual');
      await dbQuery(
        server(),
        `INSERT INTO subscriptions (organization_id, plan_id, status, billing_interval, current_period_start, current_period_end)
         SELECT $1, id, 'active', 'year', now() - interval '1 day', now() + interval '364 days' FROM plans WHERE slug = 'starter'`,
        [t.orgId],
      );
      const doc = await detailOk(t.orgId);
      expect(doc.subscription).toMatchObject({ interval: 'year', includedUnits: 600000 });
      const user = ok(await call('get', at(AD.user, t.userId)), 'get', AD.user, 200);
      expect(user.subscription).toMatchObject({ interval: 'year', includedUnits: 600000 });
    });

    it('404 ORGANIZATION_NOT_FOUND: unknown, malformed, deleted', async () => {
      problem(await detail(crypto.randomUUID()), 'get', AD.org, 404, 'ORGANIZATION_NOT_FOUND');
      problem(await detail('not-a-uuid'), 'get', AD.org, 404, 'ORGANIZATION_NOT_FOUND');
      const t = await newTenant(server(), 'orgd-deleted');
      const team = await createOrg(server(), t, `Gone ${marker()}`);
      await dbQuery(server(), `UPDATE organizations SET status = 'deleted', deleted_at = now() WHERE id = $1`, [team.id]);
      problem(await detail(team.id), 'get', AD.org, 404, 'ORGANIZATION_NOT_FOUND');
    });
  });

  // ----------------------------------------------------------------------------------- suspend, reactivate

  describe('POST /api/admin/organizations/{id}/suspend and /reactivate', () => {
    let owner: Tenant;
    let team: any;
    let teamKey: { key: any; secret: string };
    let personalKey: { key: any; secret: string };
    const reason = 'Phishing pages served through the API';

    beforeAll(async () => {
      owner = await newTenant(server(), 'orgs-suspend');
      team = await createOrg(server(), owner, `Suspend ${marker()}`);
      await setPlan(server(), team.id, 'business');
      teamKey = await orgKey(owner.token, team.id);
      personalKey = await createKey(server(), owner.token, { rateLimitPerMinute: 100000 });
    });

    it('422: the reason is required; nothing changes', async () => {
      invalid(await call('post', at(AD.orgSuspend, team.id), {}), 'post', AD.orgSuspend, 'reason');
      invalid(await call('post', at(AD.orgSuspend, team.id), { reason: ' ' }), 'post', AD.orgSuspend, 'reason');
      invalid(await call('post', at(AD.orgSuspend, team.id), { reason: 'x', extra: 1 }), 'post', AD.orgSuspend, 'extra');
      expect((await detailOk(team.id)).status).toBe('active');
      expectGwOk(await gwCall(teamKey.secret));
    });

    it('200: suspended; its keys are refused by /gw/echo and /v1/keys/verify within 1 s; other organizations unaffected', async () => {
      expectGwOk(await gwCall(teamKey.secret));
      expect((await verifyJson(teamKey.secret)).code).toBe('VALID');
      const r = await call('post', at(AD.orgSuspend, team.id), { reason });
      const t0 = Date.now();
      const doc = ok(r, 'post', AD.orgSuspend, 200);
      expect(doc).toMatchObject({ id: team.id, status: 'suspended', statusReason: reason });

      const [gwMs, verifyMs] = await Promise.all([
        sentWithin(3000, async () => {
          const g = await gwCall(teamKey.secret);
          return g.status === 403 && g.json?.code === 'API_KEY_DISABLED';
        }, t0),
        sentWithin(3000, async () => (await verifyJson(teamKey.secret)).code === 'DISABLED', t0),
      ]);
      expect(gwMs, '/gw/echo refused the suspended organization\'s key (ms)').toBeGreaterThanOrEqual(0);
      expect(gwMs).toBeLessThanOrEqual(1000);
      expect(verifyMs, '/v1/keys/verify answered DISABLED (ms)').toBeGreaterThanOrEqual(0);
      expect(verifyMs).toBeLessThanOrEqual(1000);
      expectGwProblem(await gwCall(teamKey.secret), 403, 'API_KEY_DISABLED');

      // The owner's personal organization is not suspended.
      expectGwOk(await gwCall(personalKey.secret));
      const row = await expectAdminAudit(server(), admin, team.id, 'admin.organization.suspended', reason, { targetType: 'organization' });
      expect(row.organizationId).toBe(team.id);
    });

    it('409 ORGANIZATION_ALREADY_SUSPENDED', async () => {
      problem(await call('post', at(AD.orgSuspend, team.id), { reason: 'again' }), 'post', AD.orgSuspend, 409, 'ORGANIZATION_ALREADY_SUSPENDED');
      await expectAdminAudit(server(), admin, team.id, 'admin.organization.suspended', reason);
    });

    it('200: reactivated; the keys work again within 1 s; audited', async () => {
      const why = 'Content removed, owner warned';
      const r = await call('post', at(AD.orgReactivate, team.id), { reason: why });
      const t0 = Date.now();
      const doc = ok(r, 'post', AD.orgReactivate, 200);
      expect(doc).toMatchObject({ id: team.id, status: 'active', statusReason: null });
      const [gwMs, verifyMs] = await Promise.all([
        sentWithin(3000, async () => (await gwCall(teamKey.secret)).status === 200, t0),
        sentWithin(3000, async () => (await verifyJson(teamKey.secret)).code === 'VALID', t0),
      ]);
      expect(gwMs, '/gw/echo accepted the key again (ms)').toBeGreaterThanOrEqual(0);
      expect(gwMs).toBeLessThanOrEqual(1000);
      expect(verifyMs, '/v1/keys/verify answered VALID again (ms)').toBeGreaterThanOrEqual(0);
      expect(verifyMs).toBeLessThanOrEqual(1000);
      const row = await expectAdminAudit(server(), admin, team.id, 'admin.organization.reactivated', why, { targetType: 'organization' });
      expect(row.organizationId).toBe(team.id);
    });

    it('409 ORGANIZATION_NOT_SUSPENDED; 422 reactivate needs a reason', async () => {
      problem(await call('post', at(AD.orgReactivate, team.id), { reason: 'noop' }), 'post', AD.orgReactivate, 409, 'ORGANIZATION_NOT_SUSPENDED');
      invalid(await call('post', at(AD.orgReactivate, team.id), {}), 'post', AD.orgReactivate, 'reason');
    });

    it('404 ORGANIZATION_NOT_FOUND: unknown, malformed', async () => {
      problem(await call('post', at(AD.orgSuspend, crypto.randomUUID()), { reason: 'x' }), 'post', AD.orgSuspend, 404, 'ORGANIZATION_NOT_FOUND');
      problem(await call('post', at(AD.orgSuspend, 'abc'), { reason: 'x' }), 'post', AD.orgSuspend, 404, 'ORGANIZATION_NOT_FOUND');
      problem(await call('post', at(AD.orgReactivate, crypto.randomUUID()), { reason: 'x' }), 'post', AD.orgReactivate, 404, 'ORGANIZATION_NOT_FOUND');
    });
  });

  // ---------------------------------------------------------------------------------------------- comp plan

  describe('POST /api/admin/organizations/{id}/plan', () => {
    it('200: a free organization gets a manual Pro subscription (a month from now); Pro\'s quota and rate limit reach its key within 1 s', async () => {
      const t = await newTenant(server(), 'comp');
      const key = await createKey(server(), t.token);
      const before = await gwCall(key.secret);
      expectGwOk(before);
      expect(rateHeaders(before).limit).toBe(10); // the Free plan's per-key limit
      expect(before.json.headers['x-tollgate-plan']).toBe('free');

      const reason = 'Design partner, free Pro for the pilot';
      const r = await call('post', at(AD.orgPlan, t.orgId), { plan: 'pro', reason });
      const t0 = Date.now();
      const doc = ok(r, 'post', AD.orgPlan, 200);
      expect(doc.subscription).toMatchObject({ source: 'manual', status: 'active', interval: 'month', cancelAtPeriodEnd: false, includedUnits: 500000 });
      expect(doc.subscription.plan).toMatchObject({ slug: 'pro', name: 'Pro' });
      expect(doc.plan).toMatchObject({ slug: 'pro' });
      const start = Date.parse(doc.subscription.currentPeriodStart);
      const end = Date.parse(doc.subscription.currentPeriodEnd);
      expect(Math.abs(start - Date.now())).toBeLessThan(60_000);
      expect(end - start).toBeGreaterThanOrEqual(28 * 86_400_000);
      expect(end - start).toBeLessThanOrEqual(31 * 86_400_000);

      const gwMs = await sentWithin(3000, async () => {
        const g = await gwCall(key.secret);
        return g.status === 200 && rateHeaders(g).limit === 300 && g.json?.headers?.['x-tollgate-plan'] === 'pro';
      }, t0);
      expect(gwMs, 'the gateway applied Pro\'s rate limit (300/min) to the key (ms)').toBeGreaterThanOrEqual(0);
      expect(gwMs).toBeLessThanOrEqual(1000);
      const v = await verifyJson(key.secret);
      expect(v).toMatchObject({ valid: true, code: 'VALID', plan: 'pro' });
      expect(v.quota.limit).toBe(500000);
      expect(v.ratelimit.limit).toBe(300);

      const row = await expectAdminAudit(server(), admin, t.orgId, 'admin.organization.plan_changed', reason, { targetType: 'organization' });
      expect(row.organizationId).toBe(t.orgId);
      expect(row.metadata).toMatchObject({ from: null, to: 'pro' });
      const sub = await dbQuery(server(), `SELECT source, status FROM subscriptions WHERE organization_id = $1 AND status = 'active'`, [t.orgId]);
      expect(sub.rows).toEqual([{ source: 'manual', status: 'active' }]);
    });

    it('200: an existing local subscription keeps its id and period and becomes manual; a private plan can be given', async () => {
      const t = await newTenant(server(), 'comp-existing');
      const period = await setPlan(server(), t.orgId, 'starter');
      const was = (await detailOk(t.orgId)).subscription;
      expect(was.source).toBe('local');
      const doc = ok(await call('post', at(AD.orgPlan, t.orgId), { plan: 'business', reason: 'Upgrade as an apology' }), 'post', AD.orgPlan, 200);
      expect(doc.subscription).toMatchObject({ id: was.id, source: 'manual', status: 'active' });
      expect(doc.subscription.plan.slug).toBe('business');
      expect(Date.parse(doc.subscription.currentPeriodStart)).toBe(period.periodStart.getTime());
      expect(Date.parse(doc.subscription.currentPeriodEnd)).toBe(period.periodEnd.getTime());
      const row = await expectAdminAudit(server(), admin, t.orgId, 'admin.organization.plan_changed', 'Upgrade as an apology');
      expect(row.metadata).toMatchObject({ from: 'starter', to: 'business' });

      const custom = await createPlan(server(), { ratePerMinute: 77, includedUnits: 4321 });
      const c = ok(await call('post', at(AD.orgPlan, t.orgId), { plan: custom, reason: 'Custom deal' }), 'post', AD.orgPlan, 200);
      expect(c.subscription).toMatchObject({ id: was.id, includedUnits: 4321 });
      expect(c.subscription.plan.slug).toBe(custom);
    });

    it('200: comping lifts a payment block (past due beyond its grace): the key works again within 1 s', async () => {
      const t = await newTenant(server(), 'comp-pastdue');
      await setPlan(server(), t.orgId, 'starter', {
        status: 'past_due',
        pastDueSince: "now() - interval '20 days'",
        graceEndsAt: "now() - interval '1 day'",
      });
      const key = await createKey(server(), t.token, { rateLimitPerMinute: 100000 });
      expectGwProblem(await gwCall(key.secret), 402, 'PAYMENT_REQUIRED');
      const r = await call('post', at(AD.orgPlan, t.orgId), { plan: 'starter', reason: 'Goodwill: invoice written off' });
      const t0 = Date.now();
      const doc = ok(r, 'post', AD.orgPlan, 200);
      expect(doc.subscription).toMatchObject({ status: 'active', source: 'manual' });
      const ms = await sentWithin(3000, async () => (await gwCall(key.secret)).status === 200, t0);
      expect(ms, 'the key works again after the comp (ms)').toBeGreaterThanOrEqual(0);
      expect(ms).toBeLessThanOrEqual(1000);
      expect((await verifyJson(key.secret)).code).toBe('VALID');
    });

    it('422: unknown or archived plan, plan missing, reason missing; nothing changes', async () => {
      const t = await newTenant(server(), 'comp-422');
      const archived = await createPlan(server());
      await dbQuery(server(), `UPDATE plans SET status = 'archived' WHERE slug = $1`, [archived]);
      invalid(await call('post', at(AD.orgPlan, t.orgId), { plan: 'no-such-plan', reason: 'x' }), 'post', AD.orgPlan, 'plan');
      invalid(await call('post', at(AD.orgPlan, t.orgId), { plan: archived, reason: 'x' }), 'post', AD.orgPlan, 'plan');
      invalid(await call('post', at(AD.orgPlan, t.orgId), { plan: '', reason: 'x' }), 'post', AD.orgPlan, 'plan');
      invalid(await call('post', at(AD.orgPlan, t.orgId), { plan: 7, reason: 'x' }), 'post', AD.orgPlan, 'plan');
      invalid(await call('post', at(AD.orgPlan, t.orgId), { reason: 'x' }), 'post', AD.orgPlan, 'plan');
      invalid(await call('post', at(AD.orgPlan, t.orgId), { plan: 'pro' }), 'post', AD.orgPlan, 'reason');
      expect((await detailOk(t.orgId)).subscription).toBeNull();
    });

    it('409 STRIPE_SUBSCRIPTION_ACTIVE: an organization paying through Stripe keeps its plan', async () => {
      const t = await newTenant(server(), 'comp-stripe');
      await dbQuery(
        server(),
        `INSERT INTO subscriptions (organization_id, plan_id, status, source, stripe_subscription_id, current_period_start, current_period_end)
         SELECT $1, id, 'active', 'stripe', $2, now() - interval '1 day', now() + interval '29 days' FROM plans WHERE slug = 'starter'`,
        [t.orgId, `sub_${crypto.randomBytes(6).toString('hex')}`],
      );
      problem(await call('post', at(AD.orgPlan, t.orgId), { plan: 'pro', reason: 'x' }), 'post', AD.orgPlan, 409, 'STRIPE_SUBSCRIPTION_ACTIVE');
      const doc = await detailOk(t.orgId);
      expect(doc.subscription).toMatchObject({ source: 'stripe' });
      expect(doc.subscription.plan.slug).toBe('starter');
    });

    it('404 ORGANIZATION_NOT_FOUND: unknown or malformed organization', async () => {
      problem(await call('post', at(AD.orgPlan, crypto.randomUUID()), { plan: 'pro', reason: 'x' }), 'post', AD.orgPlan, 404, 'ORGANIZATION_NOT_FOUND');
      problem(await call('post', at(AD.orgPlan, 'nope'), { plan: 'pro', reason: 'x' }), 'post', AD.orgPlan, 404, 'ORGANIZATION_NOT_FOUND');
    });
  });
});
