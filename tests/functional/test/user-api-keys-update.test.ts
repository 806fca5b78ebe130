import { describe, it, expect, beforeAll } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { expectOk, expectProblem, expectValidationFailed, waitAudit } from './auth-helpers.js';
import {
  KEY,
  KEYS_ENV,
  createKey,
  createServiceToken,
  getKey,
  newTenant,
  patchKey,
  revokeKey,
  verifyOk,
  verifyUntil,
  type Tenant,
} from './keys-helpers.js';

describe('PATCH /api/user/api-keys/{id}', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  let svc: string;
  beforeAll(async () => {
    svc = await createServiceToken(server());
  });

  describe('200', () => {
    it('rename, replace metadata, set and clear the rate-limit override; GET agrees; audited', async () => {
      const t = await newTenant(server(), 'ku-200');
      const { key, secret } = await createKey(server(), t.token, { name: 'old', metadata: { a: 1 } });
      let b = expectOk(await patchKey(server(), t.token, key.id, { name: 'new name' }), 'patch', KEY, 200);
      expect(b).toMatchObject({ id: key.id, name: 'new name', metadata: { a: 1 }, status: 'active', prefix: key.prefix });
      b = expectOk(await patchKey(server(), t.token, key.id, { metadata: { b: 'two' }, rateLimitPerMinute: 50 }), 'patch', KEY, 200);
      expect(b.metadata).toEqual({ b: 'two' });
      expect(b.rateLimitPerMinute).toBe(50);
      expect(b.name).toBe('new name');
      b = expectOk(await patchKey(server(), t.token, key.id, { rateLimitPerMinute: null }), 'patch', KEY, 200);
      expect(b.rateLimitPerMinute).toBeNull();
      expect(expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200)).toEqual(b);
      expect(await waitAudit(server(), t.userId, 'api_key.updated')).toContain('api_key.updated');
      // The verification API returns the new metadata as `meta` (within 1 s).
      const seen = await verifyUntil(server(), svc, { key: secret }, 'VALID');
      const deadline = Date.now() + 1500;
      let meta = seen.r.json.meta;
      while (JSON.stringify(meta) !== JSON.stringify({ b: 'two' }) && Date.now() < deadline) {
        await sleep(100);
        meta = (await verifyOk(server(), svc, { key: secret })).json.meta;
      }
      expect(meta).toEqual({ b: 'two' });
    });

    it('disable → verify DISABLED; enable → VALID again; both audited', async () => {
      const t = await newTenant(server(), 'ku-disable');
      const { key, secret } = await createKey(server(), t.token, { name: 'toggle', rateLimitPerMinute: 100000 });
      expect((await verifyOk(server(), svc, { key: secret })).json.code).toBe('VALID');
      const off = expectOk(await patchKey(server(), t.token, key.id, { status: 'disabled' }), 'patch', KEY, 200);
      expect(off.status).toBe('disabled');
      const d = await verifyUntil(server(), svc, { key: secret }, 'DISABLED', 1000);
      expect(d.r.json.code, `codes seen: ${d.seen.join(',')}`).toBe('DISABLED');
      const on = expectOk(await patchKey(server(), t.token, key.id, { status: 'active' }), 'patch', KEY, 200);
      expect(on.status).toBe('active');
      const v = await verifyUntil(server(), svc, { key: secret }, 'VALID', 1000);
      expect(v.r.json.code, `codes seen: ${v.seen.join(',')}`).toBe('VALID');
      const actions = await waitAudit(server(), t.userId, 'api_key.enabled');
      expect(actions).toContain('api_key.disabled');
      expect(actions).toContain('api_key.enabled');
    });
  });

  describe('403', () => {
    it('KEY_LIMIT_REACHED: enabling a disabled key beyond the plan\'s active keys (free: 2)', async () => {
      const t = await newTenant(server(), 'ku-403');
      const a = await createKey(server(), t.token, { name: 'a' });
      expectOk(await patchKey(server(), t.token, a.key.id, { status: 'disabled' }), 'patch', KEY, 200);
      await createKey(server(), t.token, { name: 'b' });
      await createKey(server(), t.token, { name: 'c' });
      expectProblem(await patchKey(server(), t.token, a.key.id, { status: 'active' }), 'patch', KEY, 403, 'KEY_LIMIT_REACHED');
      expect(expectOk(await getKey(server(), t.token, a.key.id), 'get', KEY, 200).status).toBe('disabled');
      // Other changes of the disabled key are fine.
      expectOk(await patchKey(server(), t.token, a.key.id, { name: 'renamed' }), 'patch', KEY, 200);
    });
  });

  describe('404 / 409', () => {
    it('404 NOT_FOUND: unknown id, another organization\'s key (unchanged), non-uuid', async () => {
      const mine = await newTenant(server(), 'ku-404');
      const theirs = await newTenant(server(), 'ku-404-other');
      const other = await createKey(server(), theirs.token, { name: 'theirs' });
      expectProblem(await patchKey(server(), mine.token, crypto.randomUUID(), { name: 'x' }), 'patch', KEY, 404, 'NOT_FOUND');
      expectProblem(await patchKey(server(), mine.token, other.key.id, { name: 'hijacked' }), 'patch', KEY, 404, 'NOT_FOUND');
      expectProblem(await patchKey(server(), mine.token, 'nope', { name: 'x' }), 'patch', KEY, 404, 'NOT_FOUND');
      expect(expectOk(await getKey(server(), theirs.token, other.key.id), 'get', KEY, 200).name).toBe('theirs');
    });

    it('409 KEY_REVOKED: a revoked key cannot change', async () => {
      const t = await newTenant(server(), 'ku-409');
      const { key } = await createKey(server(), t.token, { name: 'gone' });
      expect((await revokeKey(server(), t.token, key.id)).status).toBe(204);
      expectProblem(await patchKey(server(), t.token, key.id, { name: 'x' }), 'patch', KEY, 409, 'KEY_REVOKED');
      expectProblem(await patchKey(server(), t.token, key.id, { status: 'active' }), 'patch', KEY, 409, 'KEY_REVOKED');
      const b = expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200);
      expect(b.status).toBe('revoked');
      expect(b.name).toBe('gone');
    });
  });

  describe('400 / 401 / 415 / 422', () => {
    let t: Tenant;
    let id: string;
    beforeAll(async () => {
      t = await newTenant(server(), 'ku-bad');
      id = (await createKey(server(), t.token, { name: 'target' })).key.id;
    });

    it('400 MALFORMED_JSON', async () => {
      expectProblem(await patchKey(server(), t.token, id, '{"name":'), 'patch', KEY, 400, 'MALFORMED_JSON');
    });

    it('415 UNSUPPORTED_MEDIA_TYPE', async () => {
      const r = await patchKey(server(), t.token, id, JSON.stringify({ name: 'x' }), { 'content-type': 'text/plain' });
      expectProblem(r, 'patch', KEY, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('401 UNAUTHORIZED', async () => {
      expectProblem(await patchKey(server(), undefined, id, { name: 'x' }), 'patch', KEY, 401, 'UNAUTHORIZED');
    });

    const cases: Array<[string, unknown, string]> = [
      ['status revoked (use DELETE)', { status: 'revoked' }, 'status'],
      ['status expired', { status: 'expired' }, 'status'],
      ['name empty', { name: '' }, 'name'],
      ['name 101 characters', { name: 'x'.repeat(101) }, 'name'],
      ['rateLimitPerMinute 0', { rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
      ['rateLimitPerMinute a string', { rateLimitPerMinute: '10' }, 'rateLimitPerMinute'],
      ['metadata an array', { metadata: [] }, 'metadata'],
      ['metadata over 4 KiB', { metadata: { blob: 'z'.repeat(4200) } }, 'metadata'],
      ['unknown field', { environment: 'test' }, 'environment'],
    ];
    for (const [what, body, field] of cases) {
      it(`422 VALIDATION_FAILED: ${what}`, async () => {
        expectValidationFailed(await patchKey(server(), t.token, id, body), KEY, field, 'patch');
      });
    }

    it('422 VALIDATION_FAILED: an empty object (nothing to change)', async () => {
      expectProblem(await patchKey(server(), t.token, id, {}), 'patch', KEY, 422, 'VALIDATION_FAILED');
      expect(expectOk(await getKey(server(), t.token, id), 'get', KEY, 200).name).toBe('target');
    });
  });
});
