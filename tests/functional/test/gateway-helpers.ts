/**
 * Shared helpers of the gateway test files (gateway, gateway-metering). Not a test file itself.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { expect } from 'vitest';
import { request, type FetchResult } from '../harness/http.js';
import { expectProblemShape, validateResponse } from '../harness/openapi.js';
import type { TollgateServer } from '../harness/server.js';
import { TOLLGATE_BIN, REPO_ROOT, sleep } from '../harness/env.js';
import { dbQuery } from './auth-helpers.js';

const run = promisify(execFile);

export const GW = '/gw/{path}' as const;

/** Env of the gateway servers: generous /api limits, so only per-key and per-endpoint limits are under test. */
export const GW_ENV = { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_USER_MAX: '100000' };

export interface EndpointSpec {
  method?: string;
  path: string;
  upstream: string;
  cost?: number;
  rateLimit?: number | null;
  timeoutMs?: number;
  isPublic?: boolean;
}

/** Inserts catalog entries by SQL in one statement (so one catalog reload sees all); returns their ids in order. */
export async function insertEndpoints(s: TollgateServer, eps: EndpointSpec[]): Promise<string[]> {
  const values: string[] = [];
  const params: unknown[] = [];
  eps.forEach((e, i) => {
    const b = i * 7;
    values.push(`($${b + 1}, $${b + 2}, $${b + 3}, $${b + 4}::int, $${b + 5}::int, $${b + 6}::int, $${b + 7}::boolean, ${i})`);
    params.push(e.method ?? '*', e.path, e.upstream, e.cost ?? 1, e.rateLimit ?? null, e.timeoutMs ?? 30000, e.isPublic ?? false);
  });
  const r = await dbQuery(
    s,
    `WITH v (method, path_pattern, upstream_url, cost, rate_limit_per_minute, timeout_ms, is_public, ord) AS (VALUES ${values.join(', ')}),
          ins AS (INSERT INTO api_endpoints (method, path_pattern, upstream_url, cost, rate_limit_per_minute, timeout_ms, is_public)
                  SELECT method, path_pattern, upstream_url, cost, rate_limit_per_minute, timeout_ms, is_public FROM v
                  RETURNING id, method, path_pattern)
     SELECT ins.id::text AS id FROM ins JOIN v USING (method, path_pattern) ORDER BY v.ord`,
    params,
  );
  expect(r.rows.length).toBe(eps.length);
  return r.rows.map((row) => row.id as string);
}

/** `tollgate endpoints …` with the server's environment (DATABASE_URL); returns stdout (throws on a non-zero exit). */
export async function endpointsCli(s: TollgateServer, args: string[]): Promise<string> {
  try {
    const { stdout } = await run(TOLLGATE_BIN, ['endpoints', ...args], {
      cwd: REPO_ROOT,
      env: { ...process.env, ...s.env } as NodeJS.ProcessEnv,
      timeout: 30_000,
    });
    return stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`tollgate endpoints ${args.join(' ')} failed: ${e.message}\nstdout: ${e.stdout ?? ''}\nstderr: ${e.stderr ?? ''}`);
  }
}

/** Any method on /gw/<path> (path starts with '/'); `key` goes into X-API-Key unless `bearer` is set. */
export function gw(
  s: TollgateServer,
  method: string,
  path: string,
  opts: { key?: string; bearer?: boolean; body?: string | Buffer; headers?: Record<string, string>; timeoutMs?: number } = {},
): Promise<FetchResult> {
  const headers: Record<string, string> = {};
  if (opts.key !== undefined) {
    if (opts.bearer) headers.authorization = `Bearer ${opts.key}`;
    else headers['x-api-key'] = opts.key;
  }
  Object.assign(headers, opts.headers ?? {});
  return request(s.baseUrl + '/gw' + path, {
    method,
    headers,
    body: opts.body,
    timeoutMs: opts.timeoutMs ?? 15_000,
  });
}

/** A gateway refusal: status, problem+json per the spec's /gw/{path} response, the code, requestId = X-Request-ID. */
export function expectGwProblem(r: FetchResult, status: number, code: string, method = 'get'): any {
  expect(r.status, `expected ${status} ${code}, got ${r.status}: ${r.text.slice(0, 500)}`).toBe(status);
  const body = expectProblemShape(status, r.contentType, r.text);
  expect(body.code, `problem code: ${r.text.slice(0, 300)}`).toBe(code);
  expect(body.requestId).toBe(r.headers.get('x-request-id'));
  validateResponse(method, GW, status, r.contentType, r.text);
  return body;
}

/** A 200 passed through the gateway, valid per the spec's /gw/{path} 200 response. */
export function expectGwOk(r: FetchResult, method = 'get'): void {
  expect(r.status, `expected 200 through the gateway, got ${r.status}: ${r.text.slice(0, 500)}`).toBe(200);
  validateResponse(method, GW, 200, r.contentType || 'application/octet-stream', r.text);
}

/**
 * Polls `probe` every 200 ms until it returns true or `withinMs` passed; returns the ms it took (or -1).
 */
export async function within(withinMs: number, probe: () => Promise<boolean>, everyMs = 200): Promise<number> {
  const t0 = Date.now();
  for (;;) {
    if (await probe()) return Date.now() - t0;
    if (Date.now() - t0 > withinMs) return -1;
    await sleep(everyMs);
  }
}

/** Waits (≤ 6 s: the catalog is re-read every 5 s) until GET /gw<path> is no longer 404 ENDPOINT_NOT_FOUND. */
export async function waitRoute(s: TollgateServer, path: string, key?: string, method = 'GET'): Promise<number> {
  return within(6500, async () => {
    const r = await gw(s, method, path, { key });
    return !(r.status === 404 && r.json?.code === 'ENDPOINT_NOT_FOUND');
  });
}

/** The RateLimit-* headers as numbers (NaN when absent). */
export function rateHeaders(r: FetchResult): { limit: number; remaining: number; reset: number } {
  return {
    limit: Number(r.headers.get('ratelimit-limit') ?? NaN),
    remaining: Number(r.headers.get('ratelimit-remaining') ?? NaN),
    reset: Number(r.headers.get('ratelimit-reset') ?? NaN),
  };
}
