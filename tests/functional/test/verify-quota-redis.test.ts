/**
 * With REDIS_URL, quota counters are shared by every instance at once: a hard cap holds across two processes on
 * the same database even when they answer in the same second (without Redis, each instance would only learn the
 * other's usage when it re-reads the key, within 5 s).
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../harness/server.js';
import { startRedis, type RedisInstance } from '../harness/redis.js';
import { KEYS_ENV, createKey, createServiceToken, newTenant, verifyOk, type Tenant } from './keys-helpers.js';

describe('quota shared through Redis across instances', () => {
  let redis: RedisInstance;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const a = useServer(() => ({ ...KEYS_ENV, REDIS_URL: redis.url }));
  printLogsOnFailure(() => `--- redis ---\n${redis?.logs() ?? ''}`);

  let b: TollgateServer;
  let svc: string;
  let t: Tenant;
  beforeAll(async () => {
    b = await startServer({ ...KEYS_ENV, REDIS_URL: redis.url, DATABASE_URL: a().env.DATABASE_URL!, JWT_SECRET: a().env.JWT_SECRET! });
    svc = await createServiceToken(a());
    t = await newTenant(a(), 'quota-redis'); // free plan: 1,000 units, hard cap
  });
  afterAll(async () => {
    await b?.stop('SIGTERM');
  });

  it('units counted on one instance count on the other at once, and the cap holds across both', async () => {
    const { secret } = await createKey(a(), t.token, { name: 'shared', rateLimitPerMinute: 100000 });
    // Both instances load the key (and its quota) first, so neither will re-read the database during the test.
    expect((await verifyOk(a(), svc, { key: secret, cost: 0 })).json.code).toBe('VALID');
    expect((await verifyOk(b, svc, { key: secret, cost: 0 })).json.code).toBe('VALID');

    const first = await verifyOk(a(), svc, { key: secret, cost: 600 });
    expect(first.json).toMatchObject({ code: 'VALID', quota: { limit: 1000, used: 600, remaining: 400 } });
    const second = await verifyOk(b, svc, { key: secret, cost: 300 });
    expect(second.json, 'B sees A\'s 600 units at once').toMatchObject({ code: 'VALID', quota: { used: 900, remaining: 100 } });
    const refused = await verifyOk(a(), svc, { key: secret, cost: 200 });
    expect(refused.json.code, 'A sees B\'s 300 units at once: 900 + 200 > 1000').toBe('USAGE_EXCEEDED');
    const last = await verifyOk(b, svc, { key: secret, cost: 100 });
    expect(last.json).toMatchObject({ code: 'VALID', quota: { used: 1000, remaining: 0 } });
    expect((await verifyOk(a(), svc, { key: secret, cost: 1 })).json.code).toBe('USAGE_EXCEEDED');
  });
});
