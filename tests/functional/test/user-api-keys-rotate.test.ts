import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { dbQuery, expectOk, expectProblem, expectValidationFailed, waitAudit } from './auth-helpers.js';
import {
  HTTP_DATE_RE,
  KEY,
  KEYS_ENV,
  ROTATE,
  createKey,
  createServiceToken,
  expectKeyFormat,
  getKey,
  newTenant,
  patchKey,
  revokeKey,
  rotateKey,
  verifyOk,
  verifyUntil,
  type Tenant,
} from './keys-helpers.js';

const HOUR = 3_600_000;

describe('POST /api/user/api-keys/{id}/rotate', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let svc: string;
  beforeAll(async () => {
    svc = await createServiceToken(server());
  });

  describe('201', () => {
    it('default grace of 24 h: a new active key with a fresh secret; the old one keeps working with Deprecation/Sunset', async () => {
      const t = await newTenant(server(), 'kro-201');
      const old = await createKey(server(), t.token, { name: 'rotating', environment: 'test', metadata: { v: 1 } });
      const before = Date.now();
      const r = await rotateKey(server(), t.token, old.key.id, {});
      const body = expectOk(r, 'post', ROTATE, 201);
      const after = Date.now();
      expectKeyFormat(body.secret, 'test', body.key.prefix);
      expect(body.secret).not.toBe(old.secret);
      expect(body.key.id).not.toBe(old.key.id);
      expect(body.key).toMatchObject({ status: 'active', environment: 'test', rotatedFromId: old.key.id, graceEndsAt: null, revokedAt: null });
      expect(body.previous.id).toBe(old.key.id);
      const grace = Date.parse(body.previous.graceEndsAt);
      expect(grace).toBeGreaterThanOrEqual(before + 24 * HOUR - 5000);
      expect(grace).toBeLessThanOrEqual(after + 24 * HOUR + 5000);
      expect(body.previous.revokedAt).toBeNull();
      expect(expectOk(await getKey(server(), t.token, old.key.id), 'get', KEY, 200).graceEndsAt).toBe(body.previous.graceEndsAt);

      // New key: VALID, no deprecation headers.
      const fresh = await verifyOk(server(), svc, { key: body.secret });
      expect(fresh.json).toMatchObject({ valid: true, code: 'VALID', keyId: body.key.id, environment: 'test' });
      expect(fresh.headers.get('deprecation')).toBeNull();
      expect(fresh.headers.get('sunset')).toBeNull();
      // Old key during the grace period: VALID with Deprecation and Sunset = graceEndsAt as an HTTP-date.
      const v = await verifyOk(server(), svc, { key: old.secret });
      expect(v.json).toMatchObject({ valid: true, code: 'VALID', keyId: old.key.id });
      expect(v.headers.get('deprecation'), 'Deprecation header on a key in its grace period').toBeTruthy();
      const sunset = v.headers.get('sunset');
      expect(sunset, 'Sunset header on a key in its grace period').toMatch(HTTP_DATE_RE);
      expect(Date.parse(sunset!)).toBe(Math.floor(grace / 1000) * 1000);
      expect(await waitAudit(server(), t.userId, 'api_key.rotated')).toContain('api_key.rotated');
    });

    it('without a request body at all (the body is optional) → 24 h grace', async () => {
      const t = await newTenant(server(), 'kro-nobody');
      const old = await createKey(server(), t.token, { name: 'nobody' });
      const body = expectOk(await rotateKey(server(), t.token, old.key.id), 'post', ROTATE, 201);
      expect(Date.parse(body.previous.graceEndsAt) - Date.now()).toBeGreaterThan(23.9 * HOUR);
    });

    it('gracePeriodHours 720 (the maximum)', async () => {
      const t = await newTenant(server(), 'kro-720');
      const old = await createKey(server(), t.token, { name: 'long' });
      const body = expectOk(await rotateKey(server(), t.token, old.key.id, { gracePeriodHours: 720 }), 'post', ROTATE, 201);
      const left = Date.parse(body.previous.graceEndsAt) - Date.now();
      expect(left).toBeGreaterThan(720 * HOUR - 60_000);
      expect(left).toBeLessThan(720 * HOUR + 60_000);
    });

    it('gracePeriodHours 0: the old key is revoked at once (verify REVOKED within 1 s), the new one is VALID', async () => {
      const t = await newTenant(server(), 'kro-0');
      const old = await createKey(server(), t.token, { name: 'now' });
      expect((await verifyOk(server(), svc, { key: old.secret })).json.code).toBe('VALID');
      const body = expectOk(await rotateKey(server(), t.token, old.key.id, { gracePeriodHours: 0 }), 'post', ROTATE, 201);
      expect(body.previous.status).toBe('revoked');
      expect(body.previous.revokedAt).not.toBeNull();
      const seen = await verifyUntil(server(), svc, { key: old.secret }, 'REVOKED', 1000);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('REVOKED');
      expect((await verifyOk(server(), svc, { key: body.secret })).json.code).toBe('VALID');
    });

    it('after the grace period the old key answers REVOKED', async () => {
      const t = await newTenant(server(), 'kro-after');
      const old = await createKey(server(), t.token, { name: 'expiring grace' });
      const body = expectOk(await rotateKey(server(), t.token, old.key.id, { gracePeriodHours: 1 }), 'post', ROTATE, 201);
      // End the grace period (the old key was never verified, so nothing can hold a stale copy).
      await dbQuery(server(), `UPDATE api_keys SET grace_ends_at = now() - interval '1 second' WHERE id = $1`, [old.key.id]);
      const seen = await verifyUntil(server(), svc, { key: old.secret }, 'REVOKED', 1500);
      expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('REVOKED');
      expect(seen.r.headers.get('deprecation')).toBeNull();
      expect((await verifyOk(server(), svc, { key: body.secret })).json.code).toBe('VALID');
    });

    it('a disabled key rotates into an active one; rotation works at the plan\'s key limit', async () => {
      const t = await newTenant(server(), 'kro-disabled');
      const a = await createKey(server(), t.token, { name: 'a' });
      expectOk(await patchKey(server(), t.token, a.key.id, { status: 'disabled' }), 'patch', KEY, 200);
      const b = await createKey(server(), t.token, { name: 'b' });
      const ra = expectOk(await rotateKey(server(), t.token, a.key.id, { gracePeriodHours: 0 }), 'post', ROTATE, 201);
      expect(ra.key.status).toBe('active');
      // Two active keys now (free plan maximum): rotating one still works (no 403 is documented for rotate).
      const rb = await rotateKey(server(), t.token, b.key.id, { gracePeriodHours: 1 });
      expectOk(rb, 'post', ROTATE, 201);
    });
  });

  describe('409', () => {
    it('KEY_ALREADY_ROTATED: a key that was already replaced', async () => {
      const t = await newTenant(server(), 'kro-409a');
      const old = await createKey(server(), t.token, { name: 'once' });
      expectOk(await rotateKey(server(), t.token, old.key.id, { gracePeriodHours: 2 }), 'post', ROTATE, 201);
      expectProblem(await rotateKey(server(), t.token, old.key.id, {}), 'post', ROTATE, 409, 'KEY_ALREADY_ROTATED');
    });

    it('KEY_REVOKED: a revoked key', async () => {
      const t = await newTenant(server(), 'kro-409r');
      const old = await createKey(server(), t.token, { name: 'dead' });
      expectOk(await revokeKey(server(), t.token, old.key.id), 'delete', KEY, 204);
      expectProblem(await rotateKey(server(), t.token, old.key.id, {}), 'post', ROTATE, 409, 'KEY_REVOKED');
    });
  });

  describe('4xx', () => {
    let t: Tenant;
    let id: string;
    beforeAll(async () => {
      t = await newTenant(server(), 'kro-bad');
      id = (await createKey(server(), t.token, { name: 'target' })).key.id;
    });

    it('404 NOT_FOUND: unknown id, another organization\'s key, non-uuid', async () => {
      const theirs = await newTenant(server(), 'kro-404-other');
      const other = await createKey(server(), theirs.token, { name: 'theirs' });
      expectProblem(await rotateKey(server(), t.token, crypto.randomUUID(), {}), 'post', ROTATE, 404, 'NOT_FOUND');
      expectProblem(await rotateKey(server(), t.token, other.key.id, {}), 'post', ROTATE, 404, 'NOT_FOUND');
      expectProblem(await rotateKey(server(), t.token, 'abc', {}), 'post', ROTATE, 404, 'NOT_FOUND');
      const still = expectOk(await getKey(server(), theirs.token, other.key.id), 'get', KEY, 200);
      expect(still.graceEndsAt).toBeNull();
    });

    it('400 MALFORMED_JSON', async () => {
      expectProblem(await rotateKey(server(), t.token, id, '{"gracePeriodHours":'), 'post', ROTATE, 400, 'MALFORMED_JSON');
    });

    it('415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const r = await rotateKey(server(), t.token, id, '{"gracePeriodHours":1}', { 'content-type': 'text/plain' });
      expectProblem(r, 'post', ROTATE, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('401 UNAUTHORIZED', async () => {
      expectProblem(await rotateKey(server(), undefined, id, {}), 'post', ROTATE, 401, 'UNAUTHORIZED');
    });

    const cases: Array<[string, unknown]> = [
      ['gracePeriodHours 721', { gracePeriodHours: 721 }],
      ['gracePeriodHours -1', { gracePeriodHours: -1 }],
      ['gracePeriodHours 1.5', { gracePeriodHours: 1.5 }],
      ['gracePeriodHours a string', { gracePeriodHours: '24' }],
    ];
    for (const [what, body] of cases) {
      it(`422 VALIDATION_FAILED: ${what}`, async () => {
        expectValidationFailed(await rotateKey(server(), t.token, id, body), ROTATE, 'gracePeriodHours');
      });
    }

    it('422 VALIDATION_FAILED: unknown field; the key was not rotated by any of the refused calls', async () => {
      expectValidationFailed(await rotateKey(server(), t.token, id, { name: 'x' }), ROTATE, 'name');
      const k = expectOk(await getKey(server(), t.token, id), 'get', KEY, 200);
      expect(k.graceEndsAt).toBeNull();
      expect(k.status).toBe('active');
    });
  });
});
