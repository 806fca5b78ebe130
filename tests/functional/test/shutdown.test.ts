import { describe, it, expect, afterAll, afterEach } from 'vitest';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startServer, type TollgateServer } from '../harness/server.js';
import { rawHttp, tryConnect, request } from '../harness/http.js';
import { sleep } from '../harness/env.js';

const EXIT_BUDGET_MS = 12_000;

function exitWithin(s: TollgateServer, ms: number) {
  return Promise.race([s.exited, sleep(ms).then(() => 'timeout' as const)]);
}

describe('graceful shutdown', () => {
  const servers: TollgateServer[] = [];
  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop('SIGKILL')));
  });
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  });
  printLogsOnFailure();

  it('SIGTERM: 20 in-flight /__test/sleep?ms=1500 requests all complete 200; new connections refused; exit 0 within 12 s', async () => {
    const s = await startServer({ TOLLGATE_TEST_HOOKS: 'true' });
    servers.push(s);
    const inflight = Array.from({ length: 20 }, () =>
      rawHttp(s.baseUrl + '/__test/sleep?ms=1500', { timeoutMs: 20_000 }),
    );
    await sleep(300);
    const tSig = Date.now();
    s.proc.kill('SIGTERM');
    await sleep(250);
    const connect = await tryConnect(s.port, 1000);

    const results = await Promise.allSettled(inflight);
    const summary = results.map((r) => (r.status === 'fulfilled' ? `${r.value.status}` : `ERR ${(r.reason as Error).message}`));
    for (const r of results) {
      expect(r.status, `in-flight results: ${summary.join(', ')}`).toBe('fulfilled');
      if (r.status === 'fulfilled') {
        expect(r.value.status).toBe(200);
        expect(JSON.parse(r.value.body.toString('utf8'))).toEqual({ slept: 1500 });
      }
    }
    expect(connect, 'a new connection after SIGTERM').toBe('ECONNREFUSED');

    const exit = await exitWithin(s, Math.max(0, EXIT_BUDGET_MS - (Date.now() - tSig)));
    expect(exit, 'process did not exit within 12 s of SIGTERM').not.toBe('timeout');
    if (exit !== 'timeout') {
      expect(exit.signal).toBeNull();
      expect(exit.code).toBe(0);
    }
  });

  it('SIGINT: idle server exits 0 promptly', async () => {
    const s = await startServer();
    servers.push(s);
    s.proc.kill('SIGINT');
    const exit = await exitWithin(s, EXIT_BUDGET_MS);
    expect(exit).not.toBe('timeout');
    if (exit !== 'timeout') expect(exit.code).toBe(0);
  });

  it('SIGTERM: idle server exits 0 promptly (well under the grace period)', async () => {
    const s = await startServer();
    servers.push(s);
    const t0 = Date.now();
    s.proc.kill('SIGTERM');
    const exit = await exitWithin(s, EXIT_BUDGET_MS);
    expect(exit).not.toBe('timeout');
    if (exit !== 'timeout') expect(exit.code).toBe(0);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('test hooks', () => {
  const servers: TollgateServer[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => s.stop()));
  });
  printLogsOnFailure();

  it('GET /__test/sleep?ms=50 → 200 {"slept":50} with TOLLGATE_TEST_HOOKS=true', async () => {
    const s = await startServer({ TOLLGATE_TEST_HOOKS: 'true' });
    servers.push(s);
    const r = await request(s.baseUrl + '/__test/sleep?ms=50');
    expect(r.status).toBe(200);
    expect(r.json).toEqual({ slept: 50 });
    expect(r.ms).toBeGreaterThanOrEqual(45);
  });

  it('GET /__test/sleep?ms=60000: N is capped at 10000 (rejected with a 4xx problem, or clamped)', async () => {
    const s = await startServer({ TOLLGATE_TEST_HOOKS: 'true' });
    servers.push(s);
    const r = await request(s.baseUrl + '/__test/sleep?ms=60000', { timeoutMs: 13_000 });
    if (r.status === 200) {
      expect(r.json.slept).toBeLessThanOrEqual(10_000);
    } else {
      expect(r.status).toBeGreaterThanOrEqual(400);
      expect(r.status).toBeLessThan(500);
      expect(r.contentType).toMatch(/^application\/problem\+json/);
    }
  });

  it('GET /__test/sleep is not served when TOLLGATE_TEST_HOOKS=false', async () => {
    const s = await startServer({ TOLLGATE_TEST_HOOKS: 'false' });
    servers.push(s);
    const r = await request(s.baseUrl + '/__test/sleep?ms=10');
    // 404, or the dashboard's SPA fallback (index.html): anything but the hook's answer.
    expect(r.json?.slept).toBeUndefined();
    if (r.status !== 200) {
      expect(r.status).toBe(404);
      expect(r.json?.code).toBe('NOT_FOUND');
    } else {
      expect(r.contentType).toMatch(/^text\/html/);
    }
  });
});
