import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { dbQuery, expectOk, expectProblem, expectValidationFailed } from './auth-helpers.js';
import {
  HTTP_DATE_RE,
  KEY,
  KEYS_ENV,
  ROTATE,
  VERIFY,
  createKey,
  createServiceToken,
  expectEventFor,
  expectNotFound,
  forgeKey,
  getKey,
  insertServiceToken,
  monthStartUtc,
  newTenant,
  patchKey,
  requestIdOf,
  revokeKey,
  rotateKey,
  setPlan,
  sha256,
  suspendOrg,
  verify,
  verifyOk,
  verifyUntil,
} from './keys-helpers.js';

/** Short sliding window: the per-key limit applies per 2 s. */
const WINDOW_MS = 2000;
/** A key override high enough that tests not about rate limits never meet one. */
const NO_LIMIT = { rateLimitPerMinute: 100000 };

describe('POST /v1/keys/verify', () => {
  const server = useServer({ ...KEYS_ENV, KEY_RATE_WINDOW: '2s' });
  printLogsOnFailure();

  let svc: string;
  beforeAll(async () => {
    svc = await createServiceToken(server(), 'verify-tests');
  });

  describe('service token', () => {
    it('the CLI stores only the SHA-256 of the token it prints, with the keys:verify scope', async () => {
      const r = await dbQuery(server(), `SELECT name, prefix, scopes, revoked_at FROM service_tokens WHERE token_hash = $1`, [sha256(svc)]);
      expect(r.rows.length).toBe(1);
      expect(r.rows[0].name).toBe('verify-tests');
      expect(r.rows[0].scopes).toContain('keys:verify');
      expect(svc.startsWith(r.rows[0].prefix)).toBe(true);
      expect(r.rows[0].revoked_at).toBeNull();
    });

    it('401 INVALID_SERVICE_TOKEN: missing, unknown, revoked, expired, a user access token, another scheme', async () => {
      const t = await newTenant(server(), 'v-401');
      const { secret } = await createKey(server(), t.token, { name: 'k' });
      const revoked = await insertServiceToken(server(), { revoked: true });
      const expired = await insertServiceToken(server(), { expired: true });
      const unknown = 'tg_svc_' + 'A'.repeat(43);
      for (const [what, token] of [
        ['unknown', unknown],
        ['revoked', revoked],
        ['expired', expired],
        ['user access token', t.token],
        ['an API key', secret],
      ] as const) {
        const r = await verify(server(), token, { key: secret });
        expect(r.status, `${what}: ${r.text.slice(0, 300)}`).toBe(401);
        expectProblem(r, 'post', VERIFY, 401, 'INVALID_SERVICE_TOKEN');
      }
      expectProblem(await verify(server(), undefined, { key: secret }), 'post', VERIFY, 401, 'INVALID_SERVICE_TOKEN');
      expectProblem(await verify(server(), undefined, { key: secret }, { authorization: `Basic ${Buffer.from(`x:${svc}`).toString('base64')}` }), 'post', VERIFY, 401, 'INVALID_SERVICE_TOKEN');
    });

    it('403 INSUFFICIENT_SCOPE: a token without keys:verify', async () => {
      const t = await newTenant(server(), 'v-403');
      const { key, secret } = await createKey(server(), t.token, { name: 'k' });
      const other = await insertServiceToken(server(), { scopes: ['other:scope'] });
      const r = await verify(server(), other, { key: secret });
      expectProblem(r, 'post', VERIFY, 403, 'INSUFFICIENT_SCOPE');
      // Refused service calls are not usage of the key.
      await sleep(1500);
      const ev = await dbQuery(server(), `SELECT count(*)::int AS n FROM usage_events WHERE api_key_id = $1`, [key.id]);
      expect(ev.rows[0].n).toBe(0);
    });
  });

  describe('request body', () => {
    it('400 MALFORMED_JSON', async () => {
      expectProblem(await verify(server(), svc, '{"key": "tg_'), 'post', VERIFY, 400, 'MALFORMED_JSON');
    });

    it('415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const r = await verify(server(), svc, JSON.stringify({ key: forgeKey() }), { 'content-type': 'text/plain' });
      expectProblem(r, 'post', VERIFY, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    const cases: Array<[string, unknown, string]> = [
      ['key missing', { endpoint: '/v1/x' }, 'key'],
      ['key a number', { key: 12345 }, 'key'],
      ['key over 256 characters', { key: 'tg_live_' + 'a'.repeat(300) }, 'key'],
      ['unknown field', { key: 'tg_live_x', ip: '1.2.3.4' }, 'ip'],
      ['cost negative', { key: 'tg_live_x', cost: -1 }, 'cost'],
      ['cost over 1,000,000', { key: 'tg_live_x', cost: 1_000_001 }, 'cost'],
      ['cost fractional', { key: 'tg_live_x', cost: 1.5 }, 'cost'],
      ['cost a string', { key: 'tg_live_x', cost: '1' }, 'cost'],
      ['endpoint over 512 characters', { key: 'tg_live_x', endpoint: '/' + 'e'.repeat(600) }, 'endpoint'],
      ['method over 16 characters', { key: 'tg_live_x', method: 'M'.repeat(17) }, 'method'],
    ];
    for (const [what, body, field] of cases) {
      it(`422 VALIDATION_FAILED: ${what}`, async () => {
        expectValidationFailed(await verify(server(), svc, body), VERIFY, field);
      });
    }
  });

  describe('200 VALID', () => {
    it('every field, quota counting the call\'s cost, ratelimit counting down by cost, one usage event per call', async () => {
      const t = await newTenant(server(), 'v-valid');
      const { key, secret } = await createKey(server(), t.token, { name: 'prod', metadata: { customer: 'acme', n: 1 } });
      const nextMonth = monthStartUtc(Date.now(), 1);

      const r1 = await verifyOk(server(), svc, { key: secret, endpoint: '/v1/search', method: 'POST', cost: 3 });
      expect(r1.json).toMatchObject({
        valid: true,
        code: 'VALID',
        keyId: key.id,
        organizationId: t.orgId,
        plan: 'free',
        meta: { customer: 'acme', n: 1 },
        environment: 'live',
      });
      expect(r1.json.quota).toMatchObject({ limit: 1000, used: 3, remaining: 997 });
      expect(Date.parse(r1.json.quota.reset), 'free plan without a subscription: the UTC calendar month').toBe(nextMonth);
      // Free plan: 10 per minute, applied per KEY_RATE_WINDOW (2 s here).
      expect(r1.json.ratelimit).toMatchObject({ limit: 10, remaining: 7 }); // weighted by cost
      expect(r1.json.ratelimit.reset).toBeGreaterThan(0);
      expect(r1.json.ratelimit.reset).toBeLessThanOrEqual(WINDOW_MS);
      expect(r1.headers.get('deprecation')).toBeNull();
      expect(r1.headers.get('sunset')).toBeNull();

      const r2 = await verifyOk(server(), svc, { key: secret, endpoint: '/v1/items', method: 'GET' });
      expect(r2.json.code).toBe('VALID');
      expect(r2.json.quota).toMatchObject({ limit: 1000, used: 4, remaining: 996 }); // default cost 1
      expect(r2.json.ratelimit).toMatchObject({ limit: 10, remaining: 6 });
      expect(requestIdOf(r1)).not.toBe(requestIdOf(r2));

      const e1 = await expectEventFor(server(), r1, { keyId: key.id, orgId: t.orgId, code: 'VALID', cost: 3, endpoint: '/v1/search', method: 'POST' });
      await expectEventFor(server(), r2, { keyId: key.id, orgId: t.orgId, code: 'VALID', cost: 1, endpoint: '/v1/items', method: 'GET' });
      // Latency of a verify event is the time spent deciding: small.
      expect(Number(e1.latency_us)).toBeGreaterThanOrEqual(0);
      expect(Number(e1.latency_us)).toBeLessThan(1_000_000);
      expect(Math.abs(new Date(e1.occurred_at).getTime() - Date.now())).toBeLessThan(60_000);
    });

    it('a test key; cost 0 counts a request but no units; meta {} by default', async () => {
      const t = await newTenant(server(), 'v-valid-test');
      const { key, secret } = await createKey(server(), t.token, { name: 'test', environment: 'test', ...NO_LIMIT });
      const r = await verifyOk(server(), svc, { key: secret, cost: 0 });
      expect(r.json).toMatchObject({ valid: true, code: 'VALID', keyId: key.id, environment: 'test', meta: {}, plan: 'free' });
      expect(r.json.quota).toMatchObject({ limit: 1000, used: 0, remaining: 1000 });
      expect(r.json.ratelimit.limit, 'the key override wins over the plan').toBe(100000);
      await expectEventFor(server(), r, { keyId: key.id, orgId: t.orgId, code: 'VALID', cost: 0 });
    });

    it('a subscription\'s plan: its slug, its quota and period', async () => {
      const t = await newTenant(server(), 'v-valid-pro');
      const period = await setPlan(server(), t.orgId, 'pro');
      const { secret } = await createKey(server(), t.token, { name: 'pro' });
      const seen = await verifyUntil(server(), svc, { key: secret }, 'VALID');
      const r = await verifyOk(server(), svc, { key: secret, cost: 10 });
      expect(seen.r.json.plan).toBe('pro');
      expect(r.json.plan).toBe('pro');
      expect(r.json.quota.limit).toBe(500000);
      expect(r.json.quota.used).toBe(11);
      expect(Date.parse(r.json.quota.reset)).toBe(new Date(period.periodEnd).getTime());
      expect(r.json.ratelimit.limit).toBe(300);
    });
  });

  describe('200 NOT_FOUND', () => {
    it('unknown keys of every shape: all other fields null, and no usage event', async () => {
      const t = await newTenant(server(), 'v-404');
      const { secret } = await createKey(server(), t.token, { name: 'real' });
      const badChecksum = secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0');
      const rids: string[] = [];
      for (const k of [forgeKey('live'), forgeKey('test'), badChecksum, 'hello', secret.slice(0, 16)]) {
        const r = await verifyOk(server(), svc, { key: k, endpoint: '/v1/x', method: 'GET', cost: 5 });
        expectNotFound(r);
        rids.push(requestIdOf(r));
      }
      await sleep(1500);
      const ev = await dbQuery(server(), `SELECT count(*)::int AS n FROM usage_events WHERE request_id = ANY($1::text[])`, [rids]);
      expect(ev.rows[0].n, 'NOT_FOUND calls are not recorded').toBe(0);
      // Nothing counted against the real key's organization either.
      const r = await verifyOk(server(), svc, { key: secret });
      expect(r.json.quota.used).toBe(1);
    });

    it('an empty key is well-formed per VerifyRequest (no minLength): NOT_FOUND', async () => {
      expectNotFound(await verifyOk(server(), svc, { key: '' }));
    });
  });

  describe('200 REVOKED', () => {
    it('revoked via the API: REVOKED within 1 s, rejected event (401, cost 0), no ratelimit/quota', async () => {
      const t = await newTenant(server(), 'v-revoked');
      const { key, secret } = await createKey(server(), t.token, { name: 'r', metadata: { x: 'y' }, ...NO_LIMIT });
      expect((await verifyOk(server(), svc, { key: secret })).json.code).toBe('VALID');
      expectOk(await revokeKey(server(), t.token, key.id), 'delete', KEY, 204);
      const seen = await verifyUntil(server(), svc, { key: secret, endpoint: '/v1/r', method: 'PUT', cost: 7 }, 'REVOKED', 1000);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('REVOKED');
      expect(seen.r.json).toEqual({
        valid: false,
        code: 'REVOKED',
        keyId: key.id,
        organizationId: t.orgId,
        plan: 'free',
        meta: { x: 'y' },
        environment: 'live',
        ratelimit: null,
        quota: null,
      });
      await expectEventFor(server(), seen.r, { keyId: key.id, orgId: t.orgId, code: 'REVOKED', cost: 0, endpoint: '/v1/r', method: 'PUT' });
    });

    it('a revoked key that is also disabled and expired answers REVOKED (first in the order)', async () => {
      const t = await newTenant(server(), 'v-revoked-order');
      const { key, secret } = await createKey(server(), t.token, { name: 'r' });
      expectOk(await patchKey(server(), t.token, key.id, { status: 'disabled' }), 'patch', KEY, 200);
      expectOk(await revokeKey(server(), t.token, key.id), 'delete', KEY, 204);
      await dbQuery(server(), `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [key.id]);
      const seen = await verifyUntil(server(), svc, { key: secret }, 'REVOKED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('REVOKED');
    });
  });

  describe('200 EXPIRED', () => {
    it('expiresAt passes: VALID before, EXPIRED after; the key is listed as expired; event 401', async () => {
      const t = await newTenant(server(), 'v-expired');
      const expiresAt = Date.now() + 2500;
      const { key, secret } = await createKey(server(), t.token, { name: 'short-lived', expiresAt: new Date(expiresAt).toISOString(), ...NO_LIMIT });
      expect((await verifyOk(server(), svc, { key: secret })).json.code).toBe('VALID');
      await sleep(Math.max(0, expiresAt - Date.now()) + 300);
      const r = await verifyOk(server(), svc, { key: secret, cost: 2 });
      expect(r.json).toMatchObject({ valid: false, code: 'EXPIRED', keyId: key.id, organizationId: t.orgId, ratelimit: null, quota: null });
      await expectEventFor(server(), r, { keyId: key.id, orgId: t.orgId, code: 'EXPIRED', cost: 0 });
      expect(expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200).status).toBe('expired');
    });

    it('expires_at set in the past by SQL → EXPIRED; expired beats disabled', async () => {
      const t = await newTenant(server(), 'v-expired-sql');
      const a = await createKey(server(), t.token, { name: 'a' });
      const b = await createKey(server(), t.token, { name: 'b' });
      await dbQuery(server(), `UPDATE api_keys SET expires_at = now() - interval '1 hour' WHERE id = ANY($1::uuid[])`, [[a.key.id, b.key.id]]);
      await dbQuery(server(), `UPDATE api_keys SET status = 'disabled', disabled_at = now() WHERE id = $1`, [b.key.id]);
      const sa = await verifyUntil(server(), svc, { key: a.secret }, 'EXPIRED', 1500);
      expect(sa.r.json.code, `codes seen: ${sa.seen.join(',')}`).toBe('EXPIRED');
      const sb = await verifyUntil(server(), svc, { key: b.secret }, 'EXPIRED', 1500);
      expect(sb.r.json.code, `codes seen: ${sb.seen.join(',')}`).toBe('EXPIRED');
    });
  });

  describe('200 DISABLED', () => {
    it('a disabled key: DISABLED within 1 s, event 403 cost 0', async () => {
      const t = await newTenant(server(), 'v-disabled');
      const { key, secret } = await createKey(server(), t.token, { name: 'd', ...NO_LIMIT });
      expect((await verifyOk(server(), svc, { key: secret })).json.code).toBe('VALID');
      expectOk(await patchKey(server(), t.token, key.id, { status: 'disabled' }), 'patch', KEY, 200);
      const seen = await verifyUntil(server(), svc, { key: secret, cost: 4 }, 'DISABLED', 1000);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('DISABLED');
      expect(seen.r.json).toMatchObject({ valid: false, keyId: key.id, organizationId: t.orgId, plan: 'free', ratelimit: null, quota: null });
      await expectEventFor(server(), seen.r, { keyId: key.id, orgId: t.orgId, code: 'DISABLED', cost: 0 });
    });

    it('the organization suspended (SQL) → DISABLED', async () => {
      const t = await newTenant(server(), 'v-org-susp');
      const { key, secret } = await createKey(server(), t.token, { name: 'o', ...NO_LIMIT });
      await suspendOrg(server(), t.orgId);
      const seen = await verifyUntil(server(), svc, { key: secret }, 'DISABLED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('DISABLED');
      expect(seen.r.json.keyId).toBe(key.id);
      await expectEventFor(server(), seen.r, { keyId: key.id, orgId: t.orgId, code: 'DISABLED', cost: 0 });
    });

    it('the owner suspended (SQL) → DISABLED', async () => {
      const t = await newTenant(server(), 'v-owner-susp');
      const { secret } = await createKey(server(), t.token, { name: 'u', ...NO_LIMIT });
      await dbQuery(server(), `UPDATE users SET status = 'suspended', suspended_at = now() WHERE id = $1`, [t.userId]);
      const seen = await verifyUntil(server(), svc, { key: secret }, 'DISABLED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('DISABLED');
    });

    it('disabled beats PAYMENT_REQUIRED', async () => {
      const t = await newTenant(server(), 'v-dis-order');
      await setPlan(server(), t.orgId, 'starter', {
        status: 'past_due',
        pastDueSince: "now() - interval '10 days'",
        graceEndsAt: "now() - interval '1 day'",
      });
      const { key, secret } = await createKey(server(), t.token, { name: 'd' });
      expectOk(await patchKey(server(), t.token, key.id, { status: 'disabled' }), 'patch', KEY, 200);
      const seen = await verifyUntil(server(), svc, { key: secret }, 'DISABLED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('DISABLED');
    });
  });

  describe('200 PAYMENT_REQUIRED', () => {
    it('past due beyond the grace period: PAYMENT_REQUIRED, event 402 cost 0', async () => {
      const t = await newTenant(server(), 'v-402');
      await setPlan(server(), t.orgId, 'starter', {
        status: 'past_due',
        pastDueSince: "now() - interval '10 days'",
        graceEndsAt: "now() - interval '1 day'",
      });
      const { key, secret } = await createKey(server(), t.token, { name: 'p' });
      const seen = await verifyUntil(server(), svc, { key: secret, cost: 3 }, 'PAYMENT_REQUIRED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('PAYMENT_REQUIRED');
      expect(seen.r.json).toMatchObject({ valid: false, keyId: key.id, organizationId: t.orgId, plan: 'starter', ratelimit: null, quota: null });
      await expectEventFor(server(), seen.r, { keyId: key.id, orgId: t.orgId, code: 'PAYMENT_REQUIRED', cost: 0 });
    });

    it('past due but still within the grace period: VALID', async () => {
      const t = await newTenant(server(), 'v-402-grace');
      await setPlan(server(), t.orgId, 'starter', {
        status: 'past_due',
        pastDueSince: "now() - interval '1 day'",
        graceEndsAt: "now() + interval '6 days'",
      });
      const { secret } = await createKey(server(), t.token, { name: 'p' });
      const r = await verifyOk(server(), svc, { key: secret });
      expect(r.json.code).toBe('VALID');
      expect(r.json.plan).toBe('starter');
    });

    it('a subscription falling past due (after the key was in use) is seen within 1 s', async () => {
      const t = await newTenant(server(), 'v-402-live');
      await setPlan(server(), t.orgId, 'starter');
      const { secret } = await createKey(server(), t.token, { name: 'p' });
      expect((await verifyUntil(server(), svc, { key: secret }, 'VALID')).r.json.plan).toBe('starter');
      await dbQuery(
        server(),
        `UPDATE subscriptions SET status = 'past_due', past_due_since = now() - interval '10 days',
                payment_grace_ends_at = now() - interval '1 day'
          WHERE organization_id = $1 AND status = 'active'`,
        [t.orgId],
      );
      const seen = await verifyUntil(server(), svc, { key: secret }, 'PAYMENT_REQUIRED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('PAYMENT_REQUIRED');
    });
  });

  describe('200 RATE_LIMITED', () => {
    it('the key override per window, weighted by cost: calls pass until the window is used, the next is RATE_LIMITED (event 429 cost 0, no units), then the window frees up', async () => {
      const t = await newTenant(server(), 'v-429');
      const { key, secret } = await createKey(server(), t.token, { name: 'slow', rateLimitPerMinute: 6 });
      const remaining: number[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await verifyOk(server(), svc, { key: secret, cost: 2 });
        expect(r.json.code, `call ${i + 1}`).toBe('VALID');
        expect(r.json.ratelimit.limit).toBe(6);
        remaining.push(r.json.ratelimit.remaining);
      }
      expect(remaining).toEqual([4, 2, 0]);
      const limited = await verifyOk(server(), svc, { key: secret, cost: 2, endpoint: '/v1/busy', method: 'GET' });
      expect(limited.json).toMatchObject({ valid: false, code: 'RATE_LIMITED', keyId: key.id, organizationId: t.orgId, plan: 'free' });
      expect(limited.json.ratelimit).toMatchObject({ limit: 6, remaining: 0 });
      expect(limited.json.ratelimit.reset).toBeGreaterThan(0);
      expect(limited.json.ratelimit.reset).toBeLessThanOrEqual(WINDOW_MS);
      expect(limited.json.quota, 'quota object present on RATE_LIMITED').not.toBeNull();
      expect(limited.json.quota.used, 'a refused call counts no units').toBe(6);
      await expectEventFor(server(), limited, { keyId: key.id, orgId: t.orgId, code: 'RATE_LIMITED', cost: 0, endpoint: '/v1/busy', method: 'GET' });
      // The sliding-window counter weighs the previous window by its overlap, so a saturated window stops
      // counting only once a whole further window has passed.
      await sleep(2 * WINDOW_MS + 200);
      const again = await verifyOk(server(), svc, { key: secret, cost: 2 });
      expect(again.json.code, 'a new window').toBe('VALID');
      expect(again.json.quota.used).toBe(8);
    });

    it('without an override the plan\'s limit applies (free: 10 per window)', async () => {
      const t = await newTenant(server(), 'v-429-plan');
      const { secret } = await createKey(server(), t.token, { name: 'plan' });
      const codes: string[] = [];
      for (let i = 0; i < 11; i++) codes.push((await verifyOk(server(), svc, { key: secret })).json.code);
      expect(codes.slice(0, 10)).toEqual(Array(10).fill('VALID'));
      expect(codes[10]).toBe('RATE_LIMITED');
    });
  });

  describe('200 USAGE_EXCEEDED', () => {
    it('free plan, 1,000 units hard cap: a call whose cost would exceed it is refused and not counted', async () => {
      const t = await newTenant(server(), 'v-quota');
      const { key, secret } = await createKey(server(), t.token, { name: 'big', ...NO_LIMIT });
      const a = await verifyOk(server(), svc, { key: secret, cost: 600 });
      expect(a.json.code).toBe('VALID');
      expect(a.json.quota).toMatchObject({ limit: 1000, used: 600, remaining: 400 });
      const b = await verifyOk(server(), svc, { key: secret, cost: 600, endpoint: '/v1/heavy', method: 'POST' });
      expect(b.json).toMatchObject({ valid: false, code: 'USAGE_EXCEEDED', keyId: key.id, organizationId: t.orgId, plan: 'free' });
      expect(b.json.quota).toMatchObject({ limit: 1000, used: 600, remaining: 400 });
      expect(b.json.ratelimit).not.toBeNull();
      await expectEventFor(server(), b, { keyId: key.id, orgId: t.orgId, code: 'USAGE_EXCEEDED', cost: 0, endpoint: '/v1/heavy', method: 'POST' });
      const c = await verifyOk(server(), svc, { key: secret, cost: 400 });
      expect(c.json.code, 'exactly reaching the cap is allowed').toBe('VALID');
      expect(c.json.quota).toMatchObject({ limit: 1000, used: 1000, remaining: 0 });
      const d = await verifyOk(server(), svc, { key: secret, cost: 1 });
      expect(d.json.code).toBe('USAGE_EXCEEDED');
      const e = await verifyOk(server(), svc, { key: secret, cost: 0 });
      expect(e.json.code, 'cost 0 does not exceed the cap').toBe('VALID');
      // The quota is the organization's: a second key of the same organization is over it too.
      const other = await createKey(server(), t.token, { name: 'second', ...NO_LIMIT });
      expect((await verifyOk(server(), svc, { key: other.secret })).json.code).toBe('USAGE_EXCEEDED');
    });

    it('an allow_overage plan is never exceeded', async () => {
      const t = await newTenant(server(), 'v-overage');
      await setPlan(server(), t.orgId, 'starter');
      const { secret } = await createKey(server(), t.token, { name: 'over', ...NO_LIMIT });
      await verifyUntil(server(), svc, { key: secret, cost: 0 }, 'VALID');
      const r = await verifyOk(server(), svc, { key: secret, cost: 60000 });
      expect(r.json.code).toBe('VALID');
      expect(r.json.plan).toBe('starter');
      expect(r.json.quota.limit).toBe(50000);
      expect(r.json.quota.used).toBe(60000);
      const r2 = await verifyOk(server(), svc, { key: secret, cost: 1 });
      expect(r2.json.code).toBe('VALID');
    });
  });

  describe('rotation grace headers', () => {
    it('a rotated key in its grace period: VALID with Deprecation and Sunset (HTTP-date of graceEndsAt)', async () => {
      const t = await newTenant(server(), 'v-sunset');
      const old = await createKey(server(), t.token, { name: 'old', ...NO_LIMIT });
      const rot = expectOk(await rotateKey(server(), t.token, old.key.id, { gracePeriodHours: 48 }), 'post', ROTATE, 201);
      const r = await verifyOk(server(), svc, { key: old.secret });
      expect(r.json.code).toBe('VALID');
      expect(r.headers.get('deprecation')).toBeTruthy();
      expect(r.headers.get('sunset')).toMatch(HTTP_DATE_RE);
      expect(Date.parse(r.headers.get('sunset')!)).toBe(Math.floor(Date.parse(rot.previous.graceEndsAt) / 1000) * 1000);
      const n = await verifyOk(server(), svc, { key: rot.secret });
      expect(n.json.code).toBe('VALID');
      expect(n.headers.get('deprecation')).toBeNull();
    });
  });
});
