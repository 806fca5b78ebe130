import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { dbQuery, expectOk, expectProblem, expectValidationFailed } from './auth-helpers.js';
import { KEY, KEYS, KEYS_ENV, createKey, createPlan, listKeys, newTenant, patchKey, revokeKey, setPlan } from './keys-helpers.js';

describe('GET /api/user/api-keys', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  /** GET the list until `pred` holds (plan changes reach the API within 1 s); returns the last body. */
  async function listUntil(token: string, pred: (b: any) => boolean, withinMs = 1500): Promise<any> {
    const deadline = Date.now() + withinMs;
    for (;;) {
      const b = expectOk(await listKeys(server(), token), 'get', KEYS, 200);
      if (pred(b) || Date.now() > deadline) return b;
      await sleep(100);
    }
  }

  it('200: empty list and the free allowance for a new account', async () => {
    const t = await newTenant(server(), 'kl-empty');
    const b = expectOk(await listKeys(server(), t.token), 'get', KEYS, 200);
    expect(b.keys).toEqual([]);
    expect(b.allowance).toEqual({ active: 0, max: 2 });
  });

  it('200: newest first, never a secret; revoked keys stay listed; allowance counts active keys only', async () => {
    const t = await newTenant(server(), 'kl-order');
    const a = await createKey(server(), t.token, { name: 'first' });
    await sleep(20);
    const b = await createKey(server(), t.token, { name: 'second', environment: 'test' });
    let body = expectOk(await listKeys(server(), t.token), 'get', KEYS, 200);
    expect(body.keys.map((k: any) => k.id)).toEqual([b.key.id, a.key.id]);
    expect(body.allowance).toEqual({ active: 2, max: 2 });
    const text = JSON.stringify(body);
    expect(text).not.toContain(a.secret);
    expect(text).not.toContain(b.secret);
    expect(text).not.toContain('secret');
    // Listed keys carry the same fields as the create answer.
    expect(body.keys[1]).toEqual(a.key);

    expect((await revokeKey(server(), t.token, a.key.id)).status).toBe(204);
    body = expectOk(await listKeys(server(), t.token), 'get', KEYS, 200);
    expect(body.keys.map((k: any) => k.id)).toEqual([b.key.id, a.key.id]);
    expect(body.keys[1].status).toBe('revoked');
    expect(body.keys[1].revokedAt).not.toBeNull();
    expect(body.allowance).toEqual({ active: 1, max: 2 });
  });

  it('200: ?status filters active / disabled / revoked / expired / all', async () => {
    const t = await newTenant(server(), 'kl-filter');
    await setPlan(server(), t.orgId, 'pro');
    const active = await createKey(server(), t.token, { name: 'active' });
    const disabled = await createKey(server(), t.token, { name: 'disabled' });
    const revoked = await createKey(server(), t.token, { name: 'revoked' });
    const expired = await createKey(server(), t.token, { name: 'expired', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    expectOk(await patchKey(server(), t.token, disabled.key.id, { status: 'disabled' }), 'patch', KEY, 200);
    expect((await revokeKey(server(), t.token, revoked.key.id)).status).toBe(204);
    await dbQuery(server(), `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.key.id]);

    const ids = async (q: string) => {
      const b = expectOk(await listKeys(server(), t.token, q), 'get', KEYS, 200);
      return (b.keys as any[]).map((k) => [k.id, k.status]);
    };
    expect(await ids('?status=active')).toEqual([[active.key.id, 'active']]);
    expect(await ids('?status=disabled')).toEqual([[disabled.key.id, 'disabled']]);
    expect(await ids('?status=revoked')).toEqual([[revoked.key.id, 'revoked']]);
    expect(await ids('?status=expired')).toEqual([[expired.key.id, 'expired']]);
    const all = await ids('?status=all');
    expect(all.length).toBe(4);
    expect(await ids('')).toEqual(all);
    expect(new Map(all as Array<[string, string]>)).toEqual(
      new Map([
        [active.key.id, 'active'],
        [disabled.key.id, 'disabled'],
        [revoked.key.id, 'revoked'],
        [expired.key.id, 'expired'],
      ]),
    );
  });

  it('200: only the caller\'s organization\'s keys', async () => {
    const mine = await newTenant(server(), 'kl-own-1');
    const theirs = await newTenant(server(), 'kl-own-2');
    const k = await createKey(server(), mine.token, { name: 'mine' });
    await createKey(server(), theirs.token, { name: 'theirs' });
    const b = expectOk(await listKeys(server(), mine.token), 'get', KEYS, 200);
    expect(b.keys.map((x: any) => x.id)).toEqual([k.key.id]);
  });

  it('200: the allowance follows the plan (pro: 25; a plan without a cap: null)', async () => {
    const t = await newTenant(server(), 'kl-plan');
    await createKey(server(), t.token, { name: 'one' });
    await setPlan(server(), t.orgId, 'pro');
    let b = await listUntil(t.token, (x) => x.allowance.max === 25);
    expect(b.allowance).toEqual({ active: 1, max: 25 });
    const unlimited = await createPlan(server(), { maxKeys: null });
    await setPlan(server(), t.orgId, unlimited);
    b = await listUntil(t.token, (x) => x.allowance.max === null);
    expect(b.allowance).toEqual({ active: 1, max: null });
  });

  it('422: an unknown ?status', async () => {
    const t = await newTenant(server(), 'kl-422');
    expectValidationFailed(await listKeys(server(), t.token, '?status=deleted'), KEYS, 'status', 'get');
  });

  it('401: without a token', async () => {
    expectProblem(await listKeys(server(), undefined), 'get', KEYS, 401, 'UNAUTHORIZED');
  });
});
