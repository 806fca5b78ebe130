/**
 * `tollgate smoke --url URL`: the read-only check run after a deploy (docs/deployment.md). It passes against a
 * healthy instance (with a key: one verify of cost 0, or /gw/echo without a service token), fails with a table that
 * names the failing check otherwise, and never prints the key or the token.
 */
import { describe, it, expect } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { REPO_ROOT, TOLLGATE_BIN, WEB_DIST, hasWebDist } from '../harness/env.js';
import { freePort } from '../harness/ports.js';
import { dbQuery } from './auth-helpers.js';
import { KEYS_ENV, createKey, createServiceToken, newTenant } from './keys-helpers.js';
import { until } from './billing-helpers.js';

const run = promisify(execFile);

async function smoke(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string }> {
  try {
    const { stdout, stderr } = await run(TOLLGATE_BIN, ['smoke', ...args], {
      cwd: REPO_ROOT,
      // No configuration: smoke needs none (it may run from a laptop against production).
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
      timeout: 60_000,
    });
    return { code: 0, out: stdout + stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof e.code === 'number' ? e.code : -1, out: (e.stdout ?? '') + (e.stderr ?? '') };
  }
}

function row(out: string, check: string): string {
  return out.split('\n').find((l) => l.startsWith(check)) ?? `(no row "${check}")\n${out}`;
}

describe('tollgate smoke', () => {
  const server = useServer({ ...KEYS_ENV, WEB_DIR: WEB_DIST });
  const bare = useServer({ ...KEYS_ENV, WEB_DIR: '/nonexistent-web-dir' });
  printLogsOnFailure();

  it.skipIf(!hasWebDist())('a healthy instance passes every check; with a key and token one verify of cost 0 is made', async () => {
    const t = await newTenant(server(), 'smoke');
    const { key, secret } = await createKey(server(), t.token, { name: 'smoke', environment: 'test' });
    const svc = await createServiceToken(server());
    const r = await smoke(['--url', server().baseUrl + '/', '--key', secret, '--service-token', svc]);
    expect(r.code, r.out).toBe(0);
    for (const check of ['liveness /healthz', 'readiness /readyz', 'version /api/version', 'OpenAPI /api/openapi.json', 'web app /', 'security headers', 'errors are problem+json', 'key verifies']) {
      expect(row(r.out, check)).toMatch(/\bpass\b/);
    }
    expect(r.out).toMatch(/8 passed, 0 failed/);
    expect(r.out).not.toContain(secret);
    expect(r.out).not.toContain(svc);
    // Cost 0: the call is metered as a request but uses no quota.
    const used = await until('the smoke verify recorded', async () => {
      const q = await dbQuery(server(), 'SELECT coalesce(sum(cost), 0)::int AS cost, count(*)::int AS n FROM usage_events WHERE api_key_id = $1', [key.id]);
      return q.rows[0].n > 0 ? q.rows[0] : undefined;
    });
    expect(used).toEqual({ cost: 0, n: 1 });
  });

  it.skipIf(!hasWebDist())('a key without a service token is checked through /gw/echo; the key may come from SMOKE_API_KEY', async () => {
    const t = await newTenant(server(), 'smoke-gw');
    const { secret } = await createKey(server(), t.token, { name: 'smoke-gw' });
    const r = await smoke(['--url', server().baseUrl], { SMOKE_API_KEY: secret });
    expect(r.code, r.out).toBe(0);
    expect(row(r.out, 'gateway /gw/echo with the key')).toMatch(/\bpass\b/);
    const unknown = await smoke(['--url', server().baseUrl, '--key', 'tg_test_' + 'x'.repeat(49)]);
    expect(unknown.code).toBe(1);
    expect(row(unknown.out, 'gateway /gw/echo with the key')).toMatch(/FAIL\s+HTTP 401/);
  });

  it('an instance without the web app fails that check and exits 1', async () => {
    const r = await smoke(['--url', bare().baseUrl]);
    expect(r.code).toBe(1);
    expect(row(r.out, 'web app /')).toMatch(/FAIL/);
    expect(row(r.out, 'liveness /healthz')).toMatch(/\bpass\b/);
    expect(r.out).toMatch(/\d passed, [1-9] failed/);
  });

  it('an unreachable URL fails every check (HSTS and header rules are unit-tested)', async () => {
    const port = await freePort();
    const r = await smoke(['--url', `http://127.0.0.1:${port}`, '--timeout', '2']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/0 passed, 7 failed/);
  });

  it('bad arguments are usage errors (exit 2)', async () => {
    expect((await smoke([])).code).toBe(2);
    expect((await smoke(['--url', 'ftp://x'])).code).toBe(2);
    expect((await smoke(['--url', 'http://x', '--timeout', 'soon'])).code).toBe(2);
    expect((await smoke(['--url', 'http://x', '--bogus'])).code).toBe(2);
  });
});
