/**
 * Key changes made through one instance are seen by /v1/keys/verify on ANOTHER instance (a second process on the
 * same database) within 1 s.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../harness/server.js';
import { expectOk } from './auth-helpers.js';
import {
  KEY,
  KEYS_ENV,
  ROTATE,
  createKey,
  createServiceToken,
  newTenant,
  patchKey,
  revokeKey,
  rotateKey,
  setPlan,
  verifyOk,
  type Tenant,
} from './keys-helpers.js';

/** The contract's bound, plus the 50 ms polling step. */
const WITHIN_MS = 1000;
const STEP_MS = 50;

describe('key changes reach every instance within 1 s', () => {
  const a = useServer(KEYS_ENV);
  printLogsOnFailure();

  let b: TollgateServer;
  let svc: string;
  let t: Tenant;

  beforeAll(async () => {
    // Same database and JWT secret, another process with its own VAR_DIR and port.
    b = await startServer({ ...KEYS_ENV, DATABASE_URL: a().env.DATABASE_URL!, JWT_SECRET: a().env.JWT_SECRET! });
    svc = await createServiceToken(a());
    t = await newTenant(a(), 'prop');
    await setPlan(a(), t.orgId, 'pro');
  });

  afterAll(async () => {
    await b?.stop('SIGTERM');
  });

  /**
   * Polls verify on `s` every 50 ms until the code is `code`; returns when (ms after `since`) the first request
   * answering it was sent, or -1 when it never did within 3 s.
   */
  async function firstSeen(s: TollgateServer, secret: string, code: string, since: number): Promise<{ at: number; seen: string[] }> {
    const seen: string[] = [];
    for (;;) {
      const sentAt = Date.now() - since;
      const r = await verifyOk(s, svc, { key: secret });
      seen.push(r.json.code);
      if (r.json.code === code) return { at: sentAt, seen };
      if (Date.now() - since > 3000) return { at: -1, seen };
      await new Promise((res) => setTimeout(res, STEP_MS));
    }
  }

  async function warm(secret: string): Promise<void> {
    // Both instances have answered for the key (so any cache holds it) before the change.
    for (const s of [a(), b]) expect((await verifyOk(s, svc, { key: secret })).json.code).toBe('VALID');
  }

  it('disable and enable (PATCH on instance A) → B answers DISABLED, then VALID, each within 1 s', async () => {
    const k = await createKey(a(), t.token, { name: 'toggle', rateLimitPerMinute: 100000 });
    await warm(k.secret);
    expectOk(await patchKey(a(), t.token, k.key.id, { status: 'disabled' }), 'patch', KEY, 200);
    const off = await firstSeen(b, k.secret, 'DISABLED', Date.now());
    expect(off.at, `B saw DISABLED after ${off.at} ms (codes: ${off.seen.join(',')})`).toBeGreaterThanOrEqual(0);
    expect(off.at).toBeLessThanOrEqual(WITHIN_MS);
    expectOk(await patchKey(a(), t.token, k.key.id, { status: 'active' }), 'patch', KEY, 200);
    const on = await firstSeen(b, k.secret, 'VALID', Date.now());
    expect(on.at, `B saw VALID after ${on.at} ms (codes: ${on.seen.join(',')})`).toBeGreaterThanOrEqual(0);
    expect(on.at).toBeLessThanOrEqual(WITHIN_MS);
  });

  it('revoke (DELETE on A) → B answers REVOKED within 1 s', async () => {
    const k = await createKey(a(), t.token, { name: 'revoke', rateLimitPerMinute: 100000 });
    await warm(k.secret);
    expectOk(await revokeKey(a(), t.token, k.key.id), 'delete', KEY, 204);
    const r = await firstSeen(b, k.secret, 'REVOKED', Date.now());
    expect(r.at, `B saw REVOKED after ${r.at} ms (codes: ${r.seen.join(',')})`).toBeGreaterThanOrEqual(0);
    expect(r.at).toBeLessThanOrEqual(WITHIN_MS);
  });

  it('rotate with no grace (on A) → B answers REVOKED for the old key within 1 s and VALID for the new one', async () => {
    const k = await createKey(a(), t.token, { name: 'rotate', rateLimitPerMinute: 100000 });
    await warm(k.secret);
    const rot = expectOk(await rotateKey(a(), t.token, k.key.id, { gracePeriodHours: 0 }), 'post', ROTATE, 201);
    const since = Date.now();
    const r = await firstSeen(b, k.secret, 'REVOKED', since);
    expect(r.at, `B saw REVOKED after ${r.at} ms (codes: ${r.seen.join(',')})`).toBeGreaterThanOrEqual(0);
    expect(r.at).toBeLessThanOrEqual(WITHIN_MS);
    expect((await verifyOk(b, svc, { key: rot.secret })).json.code).toBe('VALID');
  });

  it('rotate with a grace period (on A) → B answers with Deprecation/Sunset for the old key within 1 s', async () => {
    const k = await createKey(a(), t.token, { name: 'rotate-grace', rateLimitPerMinute: 100000 });
    await warm(k.secret);
    expectOk(await rotateKey(a(), t.token, k.key.id, { gracePeriodHours: 5 }), 'post', ROTATE, 201);
    const since = Date.now();
    let at = -1;
    for (;;) {
      const sentAt = Date.now() - since;
      const r = await verifyOk(b, svc, { key: k.secret });
      expect(r.json.code).toBe('VALID');
      if (r.headers.get('sunset')) {
        at = sentAt;
        break;
      }
      if (Date.now() - since > 3000) break;
      await new Promise((res) => setTimeout(res, STEP_MS));
    }
    expect(at, `B sent Sunset after ${at} ms`).toBeGreaterThanOrEqual(0);
    expect(at).toBeLessThanOrEqual(WITHIN_MS);
  });

  it('a key created on A is VALID on B at once', async () => {
    const k = await createKey(a(), t.token, { name: 'new', rateLimitPerMinute: 100000 });
    const r = await firstSeen(b, k.secret, 'VALID', Date.now());
    expect(r.at).toBeGreaterThanOrEqual(0);
    expect(r.at).toBeLessThanOrEqual(WITHIN_MS);
  });
});
