import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { expectOk, expectProblem } from './auth-helpers.js';
import { KEY, KEYS_ENV, createKey, createServiceToken, getKey, newTenant, verifyOk } from './keys-helpers.js';

describe('GET /api/user/api-keys/{id}', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  it('200: the key as created, without its secret', async () => {
    const t = await newTenant(server(), 'kg-200');
    const { key, secret } = await createKey(server(), t.token, { name: 'billing', metadata: { team: 'core' }, rateLimitPerMinute: 7 });
    const r = await getKey(server(), t.token, key.id);
    const body = expectOk(r, 'get', KEY, 200);
    expect(body).toEqual(key);
    expect(r.text).not.toContain(secret);
  });

  it('200: lastUsedAt / lastUsedIp are filled in from verified calls (≤ 10 s)', async () => {
    const t = await newTenant(server(), 'kg-used');
    const svc = await createServiceToken(server());
    const { key, secret } = await createKey(server(), t.token, { name: 'used' });
    const before = Date.now();
    const v = await verifyOk(server(), svc, { key: secret, endpoint: '/v1/x', method: 'GET' });
    expect(v.json.code).toBe('VALID');
    const deadline = Date.now() + 10_000;
    let body: any;
    for (;;) {
      body = expectOk(await getKey(server(), t.token, key.id), 'get', KEY, 200);
      if (body.lastUsedAt !== null || Date.now() > deadline) break;
      await sleep(200);
    }
    expect(body.lastUsedAt, 'lastUsedAt after a verified call').not.toBeNull();
    expect(Date.parse(body.lastUsedAt)).toBeGreaterThanOrEqual(before - 5000);
    expect(Date.parse(body.lastUsedAt)).toBeLessThanOrEqual(Date.now() + 5000);
    expect(body.lastUsedIp, 'lastUsedIp after a verified call').toBe('127.0.0.1');
  });

  it('404 NOT_FOUND: unknown id, another organization\'s key, a non-uuid id', async () => {
    const mine = await newTenant(server(), 'kg-404');
    const theirs = await newTenant(server(), 'kg-404-other');
    const other = await createKey(server(), theirs.token, { name: 'theirs' });
    expectProblem(await getKey(server(), mine.token, crypto.randomUUID()), 'get', KEY, 404, 'NOT_FOUND');
    expectProblem(await getKey(server(), mine.token, other.key.id), 'get', KEY, 404, 'NOT_FOUND');
    for (const bad of ['not-a-uuid', '42', "1' OR '1'='1"]) {
      expectProblem(await getKey(server(), mine.token, bad), 'get', KEY, 404, 'NOT_FOUND');
    }
    // The owner still sees it.
    expectOk(await getKey(server(), theirs.token, other.key.id), 'get', KEY, 200);
  });

  it('401: without a token', async () => {
    expectProblem(await getKey(server(), undefined, crypto.randomUUID()), 'get', KEY, 401, 'UNAUTHORIZED');
  });
});
