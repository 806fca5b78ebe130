import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../harness/server.js';
import { startRedis, type RedisInstance } from '../harness/redis.js';
import { request, type FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';

const MAX = 5;
const WINDOW_S = 60;
const LIMIT_ENV = { RATE_LIMIT_IP_MAX: String(MAX), RATE_LIMIT_IP_WINDOW: `${WINDOW_S}s` };

function getVersion(s: TollgateServer, headers: Record<string, string> = {}): Promise<FetchResult> {
  return request(s.baseUrl + '/api/version', { headers, timeoutMs: 5000 });
}

/** Checks every rate-limit header of a /api response; returns the remaining count. */
function expectRateLimitHeaders(r: FetchResult, expectedRemaining?: number): number {
  const h = r.headers;
  const policy = h.get('ratelimit-policy');
  expect(policy, 'RateLimit-Policy').toBeTruthy();
  expect(policy!.replace(/\s/g, '')).toContain(`q=${MAX}`);
  expect(policy!.replace(/\s/g, '')).toContain(`w=${WINDOW_S}`);
  const rl = h.get('ratelimit');
  expect(rl, 'RateLimit').toBeTruthy();
  const rm = /r=(\d+)/.exec(rl!);
  const tm = /t=(\d+)/.exec(rl!);
  expect(rm, `RateLimit without r=: ${rl}`).not.toBeNull();
  expect(tm, `RateLimit without t=: ${rl}`).not.toBeNull();
  const t = Number(tm![1]);
  expect(t).toBeGreaterThanOrEqual(0);
  expect(t).toBeLessThanOrEqual(WINDOW_S + 1); // 1 s of slack for rounding the reset up
  expect(h.get('x-ratelimit-limit')).toBe(String(MAX));
  const remaining = Number(h.get('x-ratelimit-remaining'));
  expect(Number.isInteger(remaining), `X-RateLimit-Remaining=${h.get('x-ratelimit-remaining')}`).toBe(true);
  expect(Number(rm![1])).toBe(remaining);
  const reset = Number(h.get('x-ratelimit-reset'));
  const now = Date.now() / 1000;
  expect(Number.isInteger(reset), `X-RateLimit-Reset=${h.get('x-ratelimit-reset')}`).toBe(true);
  expect(reset).toBeGreaterThanOrEqual(Math.floor(now) - 1);
  expect(reset).toBeLessThanOrEqual(Math.ceil(now) + WINDOW_S + 1);
  if (expectedRemaining !== undefined) expect(remaining).toBe(expectedRemaining);
  return remaining;
}

function expect429(r: FetchResult): void {
  expect(r.status).toBe(429);
  const body = expectProblemShape(429, r.contentType, r.text);
  expect(body.code).toBe('RATE_LIMITED');
  const retryAfter = Number(r.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter), `Retry-After=${r.headers.get('retry-after')}`).toBe(true);
  expect(retryAfter).toBeGreaterThan(0);
  // A sliding-window counter (previous window weighted) may need up to two windows to free a slot.
  expect(retryAfter).toBeLessThanOrEqual(2 * WINDOW_S + 1);
  expectRateLimitHeaders(r, 0);
  validateResponse('get', '/api/version', 429, r.contentType, r.text);
}

/** 5 × 200 with decreasing remaining (4..0), then 429. */
async function exhaust(s: TollgateServer, headers: Record<string, string> = {}): Promise<void> {
  for (let i = 0; i < MAX; i++) {
    const r = await getVersion(s, headers);
    expect(r.status, `request ${i + 1}`).toBe(200);
    validateResponse('get', '/api/version', 200, r.contentType, r.text);
    expectRateLimitHeaders(r, MAX - 1 - i);
  }
  expect429(await getVersion(s, headers));
}

describe('rate limit, in-process (RATE_LIMIT_IP_MAX=5, window 60s)', () => {
  const server = useServer(LIMIT_ENV);
  printLogsOnFailure();

  it('200 ×5 with RateLimit headers and decreasing remaining, then 429 RATE_LIMITED', async () => {
    await exhaust(server());
  });

  it('429 again while the window lasts', async () => {
    expect429(await getVersion(server()));
  });

  it('/healthz is not limited', async () => {
    for (let i = 0; i < 8; i++) {
      const r = await request(server().baseUrl + '/healthz');
      expect(r.status).toBe(200);
    }
  });
});

describe('rate limit, X-Forwarded-For without TRUSTED_PROXIES', () => {
  const server = useServer(LIMIT_ENV);
  printLogsOnFailure();

  it('X-Forwarded-For is ignored: a spoofed new IP does not reset the limit', async () => {
    await exhaust(server(), { 'x-forwarded-for': '203.0.113.1' });
    const r = await getVersion(server(), { 'x-forwarded-for': '198.51.100.77' });
    expect429(r);
    const r2 = await getVersion(server());
    expect429(r2);
  });
});

describe('rate limit, TRUSTED_PROXIES=127.0.0.1/32', () => {
  const server = useServer({ ...LIMIT_ENV, TRUSTED_PROXIES: '127.0.0.1/32' });
  printLogsOnFailure();

  it('different X-Forwarded-For clients get separate buckets', async () => {
    await exhaust(server(), { 'x-forwarded-for': '203.0.113.10' });
    const other = await getVersion(server(), { 'x-forwarded-for': '203.0.113.11' });
    expect(other.status).toBe(200);
    expectRateLimitHeaders(other, MAX - 1);
    expect429(await getVersion(server(), { 'x-forwarded-for': '203.0.113.10' }));
  });
});

describe('rate limit shared through Redis (REDIS_URL)', () => {
  let redis: RedisInstance;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const server = useServer(() => ({ ...LIMIT_ENV, REDIS_URL: redis.url }));
  printLogsOnFailure(() => `--- redis ---\n${redis?.logs() ?? ''}`);

  it('200 ×5 then 429, same headers as in-process', async () => {
    await exhaust(server());
    expect429(await getVersion(server()));
  });

  it('/healthz is not limited', async () => {
    const r = await request(server().baseUrl + '/healthz');
    expect(r.status).toBe(200);
  });
});

describe('rate limit window is shared by two instances on one Redis', () => {
  let redis: RedisInstance;
  let a: TollgateServer;
  let b: TollgateServer;
  beforeAll(async () => {
    redis = await startRedis();
    [a, b] = await Promise.all([
      startServer({ ...LIMIT_ENV, REDIS_URL: redis.url }),
      startServer({ ...LIMIT_ENV, REDIS_URL: redis.url }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([a?.stop(), b?.stop()]);
    await redis?.stop();
  });
  printLogsOnFailure();

  it('3 requests on A then the 4th and 5th on B see the shared count; the 6th (on B) is 429', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await getVersion(a);
      expect(r.status).toBe(200);
      expectRateLimitHeaders(r, MAX - 1 - i);
    }
    for (let i = 3; i < MAX; i++) {
      const r = await getVersion(b);
      expect(r.status).toBe(200);
      expectRateLimitHeaders(r, MAX - 1 - i);
    }
    expect429(await getVersion(b));
    expect429(await getVersion(a));
  });
});

describe('rate limit when Redis goes away mid-run', () => {
  let redis: RedisInstance;
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => {
    await redis?.stop();
  });
  const server = useServer(() => ({ ...LIMIT_ENV, REDIS_URL: redis.url }));
  printLogsOnFailure(() => `--- redis ---\n${redis?.logs() ?? ''}`);

  it('falls back to an in-process window: only 200/429, each < 1 s, limit still enforced', async () => {
    for (let i = 0; i < 2; i++) {
      const r = await getVersion(server());
      expect(r.status).toBe(200);
      expectRateLimitHeaders(r, MAX - 1 - i);
    }
    await redis.stop();

    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const r = await getVersion(server());
      statuses.push(r.status);
      expect(r.ms, `request ${i + 1} after Redis stopped took ${Math.round(r.ms)} ms`).toBeLessThan(1000);
      expect([200, 429], `request ${i + 1}: ${r.status} ${r.text.slice(0, 300)}`).toContain(r.status);
      if (r.status === 429) expect429(r);
      else expectRateLimitHeaders(r);
    }
    // At most one fresh in-process window's worth of 200s, then 429s.
    expect(statuses.filter((s) => s === 200).length, `statuses: ${statuses.join(',')}`).toBeLessThanOrEqual(MAX);
    expect(statuses.slice(-3)).toEqual([429, 429, 429]);

    // /healthz unaffected.
    expect((await request(server().baseUrl + '/healthz')).status).toBe(200);

    // Redis back on the same port: still never a 5xx, still fast.
    await redis.start();
    for (let i = 0; i < 4; i++) {
      const r = await getVersion(server());
      expect(r.ms).toBeLessThan(1000);
      expect([200, 429]).toContain(r.status);
    }
  });
});
