import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { expectOk, expectProblem, waitAudit } from './auth-helpers.js';
import {
  KEY,
  KEYS,
  KEYS_ENV,
  createKey,
  createServiceToken,
  expectEventFor,
  getKey,
  listKeys,
  newTenant,
  patchKey,
  revokeKey,
  verifyOk,
  verifyUntil,
} from './keys-helpers.js';

describe('DELETE /api/user/api-keys/{id}', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  it('204: the key is revoked (listed as revoked, revokedAt set), verify answers REVOKED within 1 s; audited', async () => {
    const t = await newTenant(server(), 'kr-204');
    const svc = await createServiceToken(server());
    const { key, secret } = await createKey(server(), t.token, { name: 'to revoke', metadata: { m: 1 } });
    expect((await verifyOk(server(), svc, { key: secret })).json.code).toBe('VALID');
    const before = Date.now();
    const r = await revokeKey(server(), t.token, key.id);
    expectOk(r, 'delete', KEY, 204);
    const b = expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200);
    expect(b.status).toBe('revoked');
    expect(Date.parse(b.revokedAt)).toBeGreaterThanOrEqual(before - 5000);
    const seen = await verifyUntil(server(), svc, { key: secret, endpoint: '/v1/after', method: 'GET' }, 'REVOKED', 1000);
    expect(seen.r.json.code, `codes seen: ${seen.seen.join(',')}`).toBe('REVOKED');
    expect(seen.r.json).toMatchObject({ valid: false, keyId: key.id, organizationId: t.orgId, plan: 'free', meta: { m: 1 }, environment: 'live', ratelimit: null, quota: null });
    await expectEventFor(server(), seen.r, { keyId: key.id, orgId: t.orgId, code: 'REVOKED', cost: 0, endpoint: '/v1/after', method: 'GET' });
    expect(await waitAudit(server(), t.userId, 'api_key.revoked')).toContain('api_key.revoked');
    const list = expectOk(await listKeys(server(), t.token), 'get', KEYS, 200);
    expect(list.keys.find((k: any) => k.id === key.id)?.status).toBe('revoked');
  });

  it('204: idempotent — revoking again answers 204 and keeps the first revokedAt', async () => {
    const t = await newTenant(server(), 'kr-idem');
    const { key } = await createKey(server(), t.token, { name: 'twice' });
    expectOk(await revokeKey(server(), t.token, key.id), 'delete', KEY, 204);
    const first = expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200).revokedAt;
    expectOk(await revokeKey(server(), t.token, key.id), 'delete', KEY, 204);
    const second = expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200);
    expect(second.status).toBe('revoked');
    expect(second.revokedAt).toBe(first);
  });

  it('204: a disabled key can be revoked', async () => {
    const t = await newTenant(server(), 'kr-disabled');
    const { key } = await createKey(server(), t.token, { name: 'off' });
    expectOk(await patchKey(server(), t.token, key.id, { status: 'disabled' }), 'patch', KEY, 200);
    expectOk(await revokeKey(server(), t.token, key.id), 'delete', KEY, 204);
    expect(expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200).status).toBe('revoked');
  });

  it('404 NOT_FOUND: unknown id, another organization\'s key (still active), non-uuid', async () => {
    const mine = await newTenant(server(), 'kr-404');
    const theirs = await newTenant(server(), 'kr-404-other');
    const other = await createKey(server(), theirs.token, { name: 'theirs' });
    expectProblem(await revokeKey(server(), mine.token, crypto.randomUUID()), 'delete', KEY, 404, 'NOT_FOUND');
    expectProblem(await revokeKey(server(), mine.token, other.key.id), 'delete', KEY, 404, 'NOT_FOUND');
    expectProblem(await revokeKey(server(), mine.token, 'xyz'), 'delete', KEY, 404, 'NOT_FOUND');
    expect(expectOk(await getKey(server(), theirs.token, other.key.id), 'get', KEY, 200).status).toBe('active');
  });

  it('401: without a token', async () => {
    expectProblem(await revokeKey(server(), undefined, crypto.randomUUID()), 'delete', KEY, 401, 'UNAUTHORIZED');
  });
});
