/**
 * /gw/{path}: the gateway. Catalog matching, key refusals (a case per status code), what crosses the gateway in
 * both directions, upstream failures, public endpoints, per-endpoint limits, keep-alive pooling and catalog changes.
 * The upstream is a local recording node:http server (harness/upstream.ts).
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { rawHttp, rawConnect, type FetchResult } from '../harness/http.js';
import { freePort } from '../harness/ports.js';
import { startUpstream, type Upstream, type UpstreamRequest } from '../harness/upstream.js';
import { dbQuery, expectOk } from './auth-helpers.js';
import {
  HTTP_DATE_RE,
  KEY,
  ROTATE,
  createKey,
  forgeKey,
  newTenant,
  patchKey,
  revokeKey,
  rotateKey,
  setPlan,
  suspendOrg,
  type Tenant,
} from './keys-helpers.js';
import {
  GW_ENV,
  endpointsCli,
  expectGwOk,
  expectGwProblem,
  gw,
  insertEndpoints,
  rateHeaders,
  waitRoute,
  within,
} from './gateway-helpers.js';

/** A key override high enough that tests not about rate limits never meet one. */
const NO_LIMIT = { rateLimitPerMinute: 100000 };

describe('/gw/{path}', () => {
  const server = useServer(GW_ENV);
  let up: Upstream;
  printLogsOnFailure(() => `--- upstream requests ---\n${up ? up.requests.map((r) => `${r.method} ${r.url} conn=${r.connection}`).join('\n') : ''}`);

  let t: Tenant;
  let secret: string;
  let keyId: string;

  beforeAll(async () => {
    up = await startUpstream();
    const closedPort = await freePort(); // nothing listens there
    await insertEndpoints(server(), [
      { path: '/up/*', upstream: `${up.url}/base/` },
      { method: 'GET', path: '/m/{id}', upstream: `${up.url}/get-id` },
      { path: '/m/{id}', upstream: `${up.url}/any-id` },
      { path: '/m/*', upstream: `${up.url}/any-rest` },
      { method: 'GET', path: '/m/special', upstream: `${up.url}/get-literal` },
      { method: 'DELETE', path: '/m/*', upstream: `${up.url}/delete-rest` },
      { method: 'POST', path: '/only-post', upstream: `${up.url}/only-post` },
      { path: '/slow/*', upstream: `${up.url}/slow`, timeoutMs: 300 },
      { path: '/down/*', upstream: `http://127.0.0.1:${closedPort}` },
      { path: '/dropped/*', upstream: `${up.url}/dropped` },
      { method: 'GET', path: '/pub/*', upstream: up.url, isPublic: true },
      { path: '/priv/*', upstream: up.url },
      { path: '/limited/*', upstream: `${up.url}/limited`, rateLimit: 2 },
      { path: '/heavy/*', upstream: 'internal://echo', cost: 600 },
    ]);
    t = await newTenant(server(), 'gw');
    const k = await createKey(server(), t.token, { name: 'gw', ...NO_LIMIT });
    secret = k.secret;
    keyId = k.key.id;
    const at = await waitRoute(server(), '/up/ready', secret);
    expect(at, 'the catalog entries inserted by SQL are served within 6 s').toBeGreaterThanOrEqual(0);
  });

  afterAll(async () => {
    await up?.close();
  });

  /** The one upstream request that carried X-Request-ID of `r`. */
  function upstreamRequestOf(r: FetchResult): UpstreamRequest {
    const rid = r.headers.get('x-request-id');
    expect(rid, 'X-Request-ID of the gateway response').toBeTruthy();
    const got = up.requests.filter((q) => q.headers['x-request-id'] === rid);
    expect(got.length, `upstream requests carrying X-Request-ID ${rid}`).toBe(1);
    return got[0]!;
  }

  async function freshKey(tag: string, body: Record<string, unknown> = NO_LIMIT): Promise<{ t: Tenant; secret: string; id: string }> {
    const tn = await newTenant(server(), tag);
    const k = await createKey(server(), tn.token, { name: tag, ...body });
    return { t: tn, secret: k.secret, id: k.key.id };
  }

  /**
   * After a key/account change: polls until the gateway answers `status` (≤ 1.5 s, the change propagates within
   * 1 s), then makes one more call that must be refused the same way without reaching the upstream; returns it.
   */
  async function refusedAfterChange(key: string, status: number, tag: string): Promise<FetchResult> {
    let last!: FetchResult;
    await within(1500, async () => {
      last = await gw(server(), 'GET', `/up/poll/${tag}`, { key });
      return last.status === status;
    }, 50);
    expect(last.status, `polled until ${status}: ${last.text.slice(0, 300)}`).toBe(status);
    const r = await gw(server(), 'GET', `/up/refused/${tag}`, { key });
    expect(up.requestsTo(`/base/up/refused/${tag}`).length, 'a refused call reached the upstream').toBe(0);
    return r;
  }

  // ------------------------------------------------------------------------------------------------- echo

  describe('200 built-in echo', () => {
    it('answers with what the upstream would receive: method, path below /gw, query, headers, body, receivedAt', async () => {
      const before = Date.now();
      const r = await gw(server(), 'POST', '/echo/a/b?x=1&y=%20z&x=2', {
        key: secret,
        body: 'hello echo',
        headers: { 'content-type': 'text/plain', 'x-custom': 'kept', cookie: 'sid=1' },
      });
      expectGwOk(r, 'post');
      expect(r.contentType).toMatch(/^application\/json\b/i);
      const e = r.json;
      expect(e.method).toBe('POST');
      expect(e.path).toBe('/echo/a/b');
      expect(e.query).toBe('x=1&y=%20z&x=2');
      expect(e.body).toBe('hello echo');
      expect(Date.parse(e.receivedAt)).toBeGreaterThanOrEqual(before - 1000);
      expect(Date.parse(e.receivedAt)).toBeLessThanOrEqual(Date.now() + 1000);
      const h = Object.fromEntries(Object.entries(e.headers as Record<string, string>).map(([k, v]) => [k.toLowerCase(), v]));
      expect(h['x-custom']).toBe('kept');
      expect(h['content-type']).toBe('text/plain');
      expect(h['x-tollgate-organization']).toBe(t.orgId);
      expect(h['x-tollgate-key-id']).toBe(keyId);
      expect(h['x-tollgate-plan']).toBe('free');
      expect(h['x-request-id']).toBe(r.headers.get('x-request-id'));
      expect(h['x-forwarded-for']).toBe('127.0.0.1');
      for (const gone of ['x-api-key', 'authorization', 'cookie']) expect(h[gone], `${gone} reaches the upstream`).toBeUndefined();
      const rl = rateHeaders(r);
      expect(rl.limit).toBe(100000);
      expect(rl.remaining).toBeGreaterThanOrEqual(0);
      expect(rl.remaining).toBeLessThan(100000);
      expect(rl.reset).toBeGreaterThanOrEqual(0);
    });

    it('/gw/echo itself (the trailing /* also matches nothing), with the key as a Bearer token', async () => {
      const r = await gw(server(), 'GET', '/echo', { key: secret, bearer: true });
      expectGwOk(r);
      expect(r.json).toMatchObject({ method: 'GET', path: '/echo', query: '', body: '' });
      expect(r.json.headers['x-tollgate-key-id']).toBe(keyId);
      expect(r.json.headers.authorization).toBeUndefined();
    });
  });

  // ------------------------------------------------------------------------------------- pass-through

  describe('200 pass-through', () => {
    it('each method with its path (under the upstream base path), raw query and body reaches the upstream', async () => {
      up.route('/base/up/methods', (q) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `seen ${q.method}` }));
      for (const method of ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']) {
        const hasBody = !['GET', 'OPTIONS'].includes(method);
        const body = hasBody ? `{"m":"${method}","ü":"✓"}` : undefined;
        const r = await gw(server(), method, `/up/methods/x%20y/z?b=2&a=1&a=&e=%C3%BC`, {
          key: secret,
          body,
          headers: hasBody ? { 'content-type': 'application/json' } : {},
        });
        expect(r.status, `${method}: ${r.text.slice(0, 300)}`).toBe(200);
        expectGwOk(r, method.toLowerCase());
        expect(r.text).toBe(`seen ${method}`);
        const q = upstreamRequestOf(r);
        expect(q.method).toBe(method);
        expect(q.path, 'the path below /gw, appended to the upstream base path').toBe('/base/up/methods/x%20y/z');
        expect(q.query, 'the query string byte for byte').toBe('b=2&a=1&a=&e=%C3%BC');
        expect(q.body.toString('utf8')).toBe(body ?? '');
        if (hasBody) expect(q.headers['content-type']).toBe('application/json');
      }
    });

    it('binary bodies cross byte for byte in both directions', async () => {
      const reqBody = crypto.randomBytes(70_000);
      const resBody = crypto.randomBytes(90_000);
      up.route('/base/up/binary', { status: 200, headers: { 'content-type': 'application/octet-stream' }, body: resBody });
      const r = await rawHttp(`${server().baseUrl}/gw/up/binary`, {
        method: 'PUT',
        headers: { 'x-api-key': secret, 'content-type': 'application/octet-stream', 'content-length': String(reqBody.length) },
        body: reqBody,
      });
      expect(r.status).toBe(200);
      expect(r.headers['content-type']).toBe('application/octet-stream');
      expect(Buffer.compare(r.body, resBody), 'response body identical').toBe(0);
      const q = up.requests.filter((x) => x.headers['x-request-id'] === r.headers['x-request-id']);
      expect(q.length).toBe(1);
      expect(Buffer.compare(q[0]!.body, reqBody), 'request body identical').toBe(0);
    });

    it('any upstream status passes through unchanged; a 500 (or 404) from the upstream is not a gateway error', async () => {
      up.route('/base/up/status/', (q) => {
        const code = Number(q.path.split('/').pop());
        const headers: Record<string, string> = { 'content-type': 'application/json', 'x-upstream-status': String(code) };
        if (code === 301) headers.location = 'https://elsewhere.example/x';
        if (code === 503) headers['retry-after'] = '7';
        return { status: code, headers, body: code === 204 ? undefined : JSON.stringify({ upstream: code }) };
      });
      for (const code of [201, 204, 301, 400, 404, 418, 500, 503]) {
        const r = await gw(server(), 'GET', `/up/status/${code}`, { key: secret });
        expect(r.status, `upstream ${code}: ${r.text.slice(0, 300)}`).toBe(code);
        expect(r.headers.get('x-upstream-status')).toBe(String(code));
        if (code === 204) {
          expect(r.text).toBe('');
        } else {
          expect(r.contentType, `upstream ${code} is not rewritten into a problem`).toMatch(/^application\/json\b/i);
          expect(r.json).toEqual({ upstream: code });
        }
        if (code === 301) expect(r.headers.get('location'), 'redirects are not followed').toBe('https://elsewhere.example/x');
        if (code === 503) expect(r.headers.get('retry-after')).toBe('7');
        expect(rateHeaders(r).limit, `RateLimit-Limit on the upstream's ${code}`).toBe(100000);
        upstreamRequestOf(r);
      }
    });

    it('request headers: credentials, cookies, hop-by-hop and caller-sent X-Tollgate-*/X-Forwarded-* are removed; the gateway adds its own', async () => {
      up.route('/base/up/headers', { status: 200, body: 'ok' });
      const r = await rawHttp(`${server().baseUrl}/gw/up/headers?h=1`, {
        headers: {
          'x-api-key': secret,
          authorization: 'Basic dXNlcjpwYXNz',
          cookie: 'session=secret',
          'proxy-authorization': 'Basic cHJveHk6cHc=',
          connection: 'keep-alive',
          'keep-alive': 'timeout=5',
          te: 'trailers',
          'x-tollgate-organization': '00000000-0000-0000-0000-000000000000',
          'x-tollgate-key-id': 'forged',
          'x-tollgate-plan': 'enterprise',
          'x-tollgate-admin': 'true',
          'x-forwarded-for': '6.6.6.6',
          'x-forwarded-host': 'evil.example',
          'x-forwarded-proto': 'https',
          'x-custom': 'kept',
          'user-agent': 'gw-test/1.0',
          accept: 'application/json',
        },
      });
      expect(r.status).toBe(200);
      const q = up.requests.filter((x) => x.headers['x-request-id'] === r.headers['x-request-id']);
      expect(q.length).toBe(1);
      const h = q[0]!.headers;
      for (const gone of ['x-api-key', 'authorization', 'cookie', 'proxy-authorization', 'keep-alive', 'te', 'x-tollgate-admin', 'x-forwarded-host', 'x-forwarded-proto']) {
        expect(h[gone], `${gone} reached the upstream`).toBeUndefined();
      }
      expect(h['x-forwarded-for'], 'X-Forwarded-For is the client IP only').toBe('127.0.0.1');
      expect(h['x-tollgate-organization']).toBe(t.orgId);
      expect(h['x-tollgate-key-id']).toBe(keyId);
      expect(h['x-tollgate-plan']).toBe('free');
      expect(h['x-request-id']).toBe(r.headers['x-request-id']);
      expect(h['x-custom']).toBe('kept');
      expect(h['user-agent']).toBe('gw-test/1.0');
      expect(h.accept).toBe('application/json');
      // Each asserted header exactly once.
      const raw = q[0]!.rawHeaders.filter((_, i) => i % 2 === 0).map((n) => n.toLowerCase());
      for (const n of ['x-forwarded-for', 'x-request-id', 'x-tollgate-organization', 'x-tollgate-key-id', 'x-tollgate-plan']) {
        expect(raw.filter((x) => x === n).length, `${n} sent once`).toBe(1);
      }
    });

    it('request headers: every caller-sent X-Forwarded-* is removed (X-Forwarded-Port, X-Forwarded-Prefix, X-Forwarded-Server)', async () => {
      const r = await rawHttp(`${server().baseUrl}/gw/up/headers?h=2`, {
        headers: { 'x-api-key': secret, 'x-forwarded-port': '8443', 'x-forwarded-prefix': '/admin', 'x-forwarded-server': 'evil' },
      });
      expect(r.status).toBe(200);
      const q = up.requests.filter((x) => x.headers['x-request-id'] === r.headers['x-request-id']);
      expect(q.length).toBe(1);
      const forwarded = Object.keys(q[0]!.headers).filter((n) => n.startsWith('x-forwarded-'));
      expect(forwarded, 'only the gateway\'s X-Forwarded-For').toEqual(['x-forwarded-for']);
    });

    it('request headers: hop-by-hop headers named in Connection are removed (RFC 9110 §7.6.1)', async () => {
      const r = await rawHttp(`${server().baseUrl}/gw/up/headers?h=3`, {
        headers: { 'x-api-key': secret, connection: 'keep-alive, X-Hop-Custom', 'x-hop-custom': 'drop me', 'x-end-to-end': 'keep me' },
      });
      expect(r.status).toBe(200);
      const q = up.requests.filter((x) => x.headers['x-request-id'] === r.headers['x-request-id']);
      expect(q.length).toBe(1);
      expect(q[0]!.headers['x-end-to-end']).toBe('keep me');
      expect(q[0]!.headers['x-hop-custom'], 'a header listed in Connection reached the upstream').toBeUndefined();
    });

    it('response headers: the upstream\'s end-to-end headers come back (repeated Set-Cookie too), plus RateLimit-*', async () => {
      up.route('/base/up/resp', {
        status: 200,
        headers: {
          'content-type': 'text/csv; charset=utf-8',
          'x-upstream': 'yes',
          'set-cookie': ['a=1; Path=/', 'b=2; Path=/'],
          'cache-control': 'public, max-age=60',
          etag: '"v1"',
        },
        body: 'a,b\n1,2\n',
      });
      const r = await rawHttp(`${server().baseUrl}/gw/up/resp`, { headers: { 'x-api-key': secret } });
      expect(r.status).toBe(200);
      expect(r.body.toString()).toBe('a,b\n1,2\n');
      expect(r.headers['content-type']).toBe('text/csv; charset=utf-8');
      expect(r.headers['content-length']).toBe('8');
      expect(r.headers['x-upstream']).toBe('yes');
      expect(r.headers['set-cookie']).toEqual(['a=1; Path=/', 'b=2; Path=/']);
      expect(r.headers['cache-control']).toBe('public, max-age=60');
      expect(r.headers.etag).toBe('"v1"');
      expect(Number(r.headers['ratelimit-limit'])).toBe(100000);
      expect(r.headers['ratelimit-remaining']).toMatch(/^\d+$/);
      expect(r.headers['ratelimit-reset']).toMatch(/^\d+$/);
      expect(r.headers['transfer-encoding']).toBeUndefined();
    });

    it('response headers: hop-by-hop headers of the upstream (Keep-Alive, those named in its Connection) are removed', async () => {
      up.route('/base/up/resp-hop', {
        status: 200,
        headers: { connection: 'keep-alive, X-Up-Hop', 'keep-alive': 'timeout=60', 'x-up-hop': 'drop me', 'x-up-e2e': 'keep me' },
        body: 'hop',
      });
      const r = await rawHttp(`${server().baseUrl}/gw/up/resp-hop`, { headers: { 'x-api-key': secret } });
      expect(r.status).toBe(200);
      expect(r.headers['x-up-e2e']).toBe('keep me');
      expect(r.headers['keep-alive']).toBeUndefined();
      expect(r.headers['x-up-hop'], 'a header the upstream named in Connection reached the client').toBeUndefined();
    });

    it('response headers: an upstream header the server also sets by default (X-Frame-Options) comes back with the upstream\'s value', async () => {
      up.route('/base/up/resp-xfo', { status: 200, headers: { 'x-frame-options': 'SAMEORIGIN' }, body: 'x' });
      const r = await rawHttp(`${server().baseUrl}/gw/up/resp-xfo`, { headers: { 'x-api-key': secret } });
      expect(r.status).toBe(200);
      expect(r.headers['x-frame-options'], 'passed back unchanged (not merged with the server\'s own)').toBe('SAMEORIGIN');
    });

    it('keep-alive: upstream connections are pooled (fewer connections than requests); a pooled connection the upstream closed is replaced', async () => {
      up.route('/base/up/ka', { status: 200, body: 'ka' });
      up.closeIdle();
      const before = up.requests.length;
      for (let i = 0; i < 12; i++) {
        // Every client call on its own connection: only the gateway's side can be pooled.
        const r = await rawHttp(`${server().baseUrl}/gw/up/ka/${i}`, { headers: { 'x-api-key': secret } });
        expect(r.status).toBe(200);
      }
      const seen = up.requests.slice(before).filter((q) => q.path.startsWith('/base/up/ka/'));
      expect(seen.length).toBe(12);
      const conns = new Set(seen.map((q) => q.connection));
      expect(conns.size, `12 requests over ${conns.size} upstream connections`).toBeLessThan(12);
      expect(conns.size).toBeLessThanOrEqual(4);
      // The upstream drops every idle connection: the next call must still succeed (on a new connection).
      up.closeIdle();
      await new Promise((res) => setTimeout(res, 100));
      const r = await gw(server(), 'GET', '/up/ka/after-close', { key: secret });
      expect(r.status, r.text.slice(0, 300)).toBe(200);
      expect(r.text).toBe('ka');
    });
  });

  // -------------------------------------------------------------------------------------------- matching

  describe('404 ENDPOINT_NOT_FOUND and matching', () => {
    it('no catalog entry for the path or method', async () => {
      const before = up.requests.length;
      expectGwProblem(await gw(server(), 'GET', '/nothing/here', { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
      expectGwProblem(await gw(server(), 'GET', '/only-post', { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
      expectGwProblem(await gw(server(), 'POST', '/only-post/more', { key: secret }), 404, 'ENDPOINT_NOT_FOUND', 'post');
      expectGwProblem(await gw(server(), 'POST', '/pub/x', { key: secret }), 404, 'ENDPOINT_NOT_FOUND', 'post');
      expectGwProblem(await gw(server(), 'GET', '/', { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
      expectGwProblem(await gw(server(), 'GET', '/upx', { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
      expect(up.requests.slice(before).map((q) => q.url), 'nothing reaches an upstream').toEqual([]);
    });

    it('most specific entry: exact method before \'*\', then the longest pattern; {name} is one segment; /* is the rest incl. nothing', async () => {
      const cases: Array<[string, string, string]> = [
        ['GET', '/m/special', '/get-literal/m/special'], // GET /m/special beats GET /m/{id}
        ['GET', '/m/42', '/get-id/m/42'], // GET /m/{id} beats * /m/{id}, * /m/*
        ['POST', '/m/42', '/any-id/m/42'], // * /m/{id} longer than * /m/*
        ['POST', '/m/special', '/any-id/m/special'],
        ['GET', '/m/42/deeper', '/any-rest/m/42/deeper'], // {id} is one segment only
        ['GET', '/m', '/any-rest/m'], // /* matches nothing too
        ['DELETE', '/m/42', '/delete-rest/m/42'], // exact method first: DELETE /m/* over * /m/{id}
        ['POST', '/only-post', '/only-post/only-post'],
      ];
      for (const [method, path, expected] of cases) {
        const r = await gw(server(), method, path, { key: secret, body: method === 'POST' ? '' : undefined });
        expect(r.status, `${method} ${path}: ${r.text.slice(0, 200)}`).toBe(200);
        expect(upstreamRequestOf(r).path, `${method} /gw${path}`).toBe(expected);
      }
    });

    it('dot segments cannot reach a key-protected endpoint through a public one', async () => {
      const before = up.requests.length;
      for (const target of ['/gw/pub/../priv/secret', '/gw/pub/%2e%2e/priv/secret', '/gw/pub/%2E%2E%2Fpriv/secret']) {
        const c = await rawConnect(server().port);
        await c.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
        const [res] = await c.waitResponses(1, 5000);
        c.close();
        expect(res, `an answer to ${target}`).toBeDefined();
        expect(res!.status, `${target} without a key: ${res!.body.toString().slice(0, 200)}`).not.toBe(200);
      }
      const leaked = up.requests.slice(before).filter((q) => /(^|\/)(\.\.|%2e%2e)(\/|%2f|$)/i.test(q.path));
      expect(leaked.map((q) => q.url), 'requests with dot segments forwarded to the upstream').toEqual([]);
    });
  });

  // -------------------------------------------------------------------------------------------- refusals

  describe('401', () => {
    it('API_KEY_REQUIRED without a key (WWW-Authenticate: Bearer); the upstream is not called', async () => {
      const before = up.requests.length;
      for (const headers of [{}, { authorization: 'Basic dXNlcjpwYXNz' }, { 'x-api-key': '' }] as Array<Record<string, string>>) {
        const r = await gw(server(), 'GET', '/up/refused', { headers });
        expectGwProblem(r, 401, 'API_KEY_REQUIRED');
        expect(r.headers.get('www-authenticate') ?? '').toMatch(/^Bearer\b/i);
      }
      expectGwProblem(await gw(server(), 'POST', '/echo/x', { body: '{}' }), 401, 'API_KEY_REQUIRED', 'post');
      expect(up.requests.length - before).toBe(0);
    });

    it('INVALID_API_KEY for an unknown key, in either header', async () => {
      const before = up.requests.length;
      for (const [key, bearer] of [[forgeKey('live'), false], [forgeKey('test'), true], ['not-a-key', false], [secret.slice(0, -1) + (secret.endsWith('0') ? '1' : '0'), true]] as const) {
        expectGwProblem(await gw(server(), 'GET', '/up/refused', { key, bearer }), 401, 'INVALID_API_KEY');
      }
      expect(up.requests.length - before).toBe(0);
    });

    it('API_KEY_REVOKED once the key is revoked', async () => {
      const k = await freshKey('gw-revoked');
      expect((await gw(server(), 'GET', '/up/ok', { key: k.secret })).status).toBe(200);
      expectOk(await revokeKey(server(), k.t.token, k.id), 'delete', KEY, 204);
      const r = await refusedAfterChange(k.secret, 401, 'revoked');
      expectGwProblem(r, 401, 'API_KEY_REVOKED');
    });

    it('API_KEY_EXPIRED once expires_at has passed', async () => {
      const k = await freshKey('gw-expired');
      await dbQuery(server(), `UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = $1`, [k.id]);
      const r = await refusedAfterChange(k.secret, 401, 'expired');
      expectGwProblem(r, 401, 'API_KEY_EXPIRED');
    });
  });

  describe('403 API_KEY_DISABLED', () => {
    it('a disabled key', async () => {
      const k = await freshKey('gw-disabled');
      expectOk(await patchKey(server(), k.t.token, k.id, { status: 'disabled' }), 'patch', KEY, 200);
      expectGwProblem(await refusedAfterChange(k.secret, 403, 'disabled-key'), 403, 'API_KEY_DISABLED');
    });

    it('the organization suspended', async () => {
      const k = await freshKey('gw-org-susp');
      await suspendOrg(server(), k.t.orgId);
      expectGwProblem(await refusedAfterChange(k.secret, 403, 'org-suspended'), 403, 'API_KEY_DISABLED');
    });

    it('the owner suspended', async () => {
      const k = await freshKey('gw-owner-susp');
      await dbQuery(server(), `UPDATE users SET status = 'suspended', suspended_at = now() WHERE id = $1`, [k.t.userId]);
      expectGwProblem(await refusedAfterChange(k.secret, 403, 'owner-suspended'), 403, 'API_KEY_DISABLED');
    });
  });

  describe('402 PAYMENT_REQUIRED', () => {
    it('past due beyond the payment grace period', async () => {
      const tn = await newTenant(server(), 'gw-402');
      await setPlan(server(), tn.orgId, 'starter', {
        status: 'past_due',
        pastDueSince: "now() - interval '10 days'",
        graceEndsAt: "now() - interval '1 day'",
      });
      const k = await createKey(server(), tn.token, { name: 'p', ...NO_LIMIT });
      expectGwProblem(await refusedAfterChange(k.secret, 402, 'past-due'), 402, 'PAYMENT_REQUIRED');
    });
  });

  describe('429', () => {
    it('RATE_LIMITED by the key\'s limit, with Retry-After and RateLimit-*; the upstream sees only the admitted calls', async () => {
      const k = await freshKey('gw-429', { rateLimitPerMinute: 2 });
      const before = up.requestsTo('/base/up/rl-key').length;
      for (let i = 0; i < 2; i++) {
        const ok = await gw(server(), 'GET', '/up/rl-key', { key: k.secret });
        expect(ok.status, `call ${i + 1}`).toBe(200);
        expect(rateHeaders(ok)).toMatchObject({ limit: 2, remaining: 1 - i });
      }
      const r = await gw(server(), 'GET', '/up/rl-key', { key: k.secret });
      expectGwProblem(r, 429, 'RATE_LIMITED');
      const ra = r.headers.get('retry-after');
      expect(ra, 'Retry-After').toMatch(/^\d+$/);
      expect(Number(ra)).toBeGreaterThanOrEqual(1);
      // Sliding-window counter: a saturated window weighs on the next one, so at most two windows (2 × 60 s).
      expect(Number(ra)).toBeLessThanOrEqual(120);
      expect(rateHeaders(r)).toMatchObject({ limit: 2, remaining: 0 });
      expect(up.requestsTo('/base/up/rl-key').length - before).toBe(2);
    });

    it('RATE_LIMITED by the endpoint\'s own rate_limit_per_minute, per key', async () => {
      const a = await freshKey('gw-ep-a');
      const b = await freshKey('gw-ep-b');
      for (let i = 0; i < 2; i++) expect((await gw(server(), 'GET', '/limited/x', { key: a.secret })).status, `A call ${i + 1}`).toBe(200);
      const r = await gw(server(), 'GET', '/limited/x', { key: a.secret });
      expectGwProblem(r, 429, 'RATE_LIMITED');
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(rateHeaders(r).limit, 'the endpoint limit is the one reported').toBe(2);
      // Another key has its own budget on this endpoint; the limited key is fine elsewhere.
      for (let i = 0; i < 2; i++) expect((await gw(server(), 'GET', '/limited/y', { key: b.secret })).status, `B call ${i + 1}`).toBe(200);
      expect((await gw(server(), 'GET', '/up/elsewhere', { key: a.secret })).status).toBe(200);
      expect(up.requestsTo('/limited/').length).toBe(4);
    });

    it('USAGE_EXCEEDED when the endpoint\'s cost would exceed the hard cap (free: 1,000 units)', async () => {
      const k = await freshKey('gw-quota');
      expect((await gw(server(), 'GET', '/heavy/1', { key: k.secret })).status).toBe(200); // 600
      expectGwProblem(await gw(server(), 'GET', '/heavy/2', { key: k.secret }), 429, 'USAGE_EXCEEDED'); // 1,200 > 1,000
      expect((await gw(server(), 'GET', '/echo/cheap', { key: k.secret })).status, 'a cost-1 call still fits').toBe(200);
    });
  });

  // -------------------------------------------------------------------------------------- upstream faults

  describe('502 UPSTREAM_UNAVAILABLE', () => {
    it('nothing listens at the upstream', async () => {
      const t0 = Date.now();
      expectGwProblem(await gw(server(), 'GET', '/down/x', { key: secret }), 502, 'UPSTREAM_UNAVAILABLE');
      expectGwProblem(await gw(server(), 'POST', '/down/y', { key: secret, body: 'b' }), 502, 'UPSTREAM_UNAVAILABLE', 'post');
      expect(Date.now() - t0).toBeLessThan(5000);
    });

    it('the upstream closes the connection without answering', async () => {
      up.route('/dropped', { close: true });
      expectGwProblem(await gw(server(), 'GET', '/dropped/x', { key: secret }), 502, 'UPSTREAM_UNAVAILABLE');
    });

    it('a POST the upstream received and dropped is not sent to it a second time (non-idempotent, RFC 9110 §9.2.2)', async () => {
      up.route('/dropped', { close: true });
      // Pooled (previously used) connections exist on every I/O thread, as in normal traffic: concurrent slow calls.
      up.route('/base/up/warm', { status: 200, delayMs: 150, body: 'warm' });
      const warm = await Promise.all(Array.from({ length: 8 }, (_, i) => gw(server(), 'GET', `/up/warm/${i}`, { key: secret })));
      expect(warm.map((w) => w.status)).toEqual(Array(8).fill(200));
      const r = await gw(server(), 'POST', '/dropped/once', { key: secret, body: 'charge-card' });
      expectGwProblem(r, 502, 'UPSTREAM_UNAVAILABLE', 'post');
      const seen = up.requests.filter((q) => q.headers['x-request-id'] === r.headers.get('x-request-id'));
      expect(seen.length, 'times the upstream received the POST').toBe(1);
    });
  });

  describe('504 UPSTREAM_TIMEOUT', () => {
    it('the upstream answers later than the endpoint\'s timeout_ms (300 ms)', async () => {
      up.route('/slow', { status: 200, delayMs: 2000, body: 'too late' });
      const t0 = Date.now();
      const r = await gw(server(), 'GET', '/slow/x', { key: secret });
      const ms = Date.now() - t0;
      expectGwProblem(r, 504, 'UPSTREAM_TIMEOUT');
      expect(ms, 'answered near the timeout, not when the upstream finally answers').toBeLessThan(1500);
      expect(ms).toBeGreaterThanOrEqual(250);
      // The gateway keeps working for the same upstream afterwards.
      expect((await gw(server(), 'GET', '/up/after-timeout', { key: secret })).status).toBe(200);
    });
  });

  // --------------------------------------------------------------------------------------- public, grace

  describe('public endpoints', () => {
    it('need no key; nothing about a key is asserted to the upstream, and a presented key is not forwarded', async () => {
      up.route('/pub', (q) => ({ status: 200, headers: { 'content-type': 'text/plain' }, body: `public ${q.path}` }));
      const r = await gw(server(), 'GET', '/pub/info?v=1');
      expectGwOk(r);
      expect(r.text).toBe('public /pub/info');
      const q = upstreamRequestOf(r);
      expect(q.query).toBe('v=1');
      for (const n of ['x-tollgate-organization', 'x-tollgate-key-id', 'x-tollgate-plan']) expect(q.headers[n]).toBeUndefined();
      expect(q.headers['x-forwarded-for']).toBe('127.0.0.1');
      const withKey = await gw(server(), 'GET', '/pub/info', { key: secret, headers: { authorization: 'Bearer something' } });
      expect(withKey.status).toBe(200);
      const q2 = upstreamRequestOf(withKey);
      expect(q2.headers['x-api-key']).toBeUndefined();
      expect(q2.headers.authorization).toBeUndefined();
      // An unknown key is no reason to refuse a public call.
      expect((await gw(server(), 'GET', '/pub/info', { key: forgeKey() })).status).toBe(200);
    });
  });

  describe('rotated key in its grace period', () => {
    it('is admitted with Deprecation and Sunset (HTTP-date of graceEndsAt); the new key gets neither', async () => {
      const k = await freshKey('gw-grace');
      const rot = expectOk(await rotateKey(server(), k.t.token, k.id, { gracePeriodHours: 12 }), 'post', ROTATE, 201);
      let r!: FetchResult;
      await within(1500, async () => {
        r = await gw(server(), 'GET', '/up/grace', { key: k.secret });
        return r.headers.get('sunset') !== null;
      }, 50);
      expect(r.status).toBe(200);
      expect(r.headers.get('deprecation')).toBeTruthy();
      expect(r.headers.get('sunset')).toMatch(HTTP_DATE_RE);
      expect(Date.parse(r.headers.get('sunset')!)).toBe(Math.floor(Date.parse(rot.previous.graceEndsAt) / 1000) * 1000);
      const n = await gw(server(), 'GET', '/up/grace', { key: rot.secret });
      expect(n.status).toBe(200);
      expect(n.headers.get('deprecation')).toBeNull();
      expect(n.headers.get('sunset')).toBeNull();
    });
  });

  // ------------------------------------------------------------------------------------- catalog changes

  describe('catalog changes', () => {
    it('`tollgate endpoints add` is served within ~6 s, listed, and `endpoints remove` is 404 again within ~6 s', async () => {
      const slug = `fresh-${crypto.randomBytes(4).toString('hex')}`;
      up.route(`/new-base/${slug}`, { status: 200, body: 'new endpoint' });
      expectGwProblem(await gw(server(), 'GET', `/${slug}/x`, { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
      const out = await endpointsCli(server(), ['add', '--path', `/${slug}/*`, '--upstream', `${up.url}/new-base`, '--method', 'GET', '--cost', '2', '--rate-limit', '50', '--timeout-ms', '5000']);
      const id = out.trim().split('\n').pop()!.trim();
      expect(id, `endpoints add prints the id: ${out}`).toMatch(/^[0-9a-f-]{36}$/);
      const row = await dbQuery(server(), `SELECT method, path_pattern, upstream_url, cost, rate_limit_per_minute, timeout_ms, is_public FROM api_endpoints WHERE id = $1`, [id]);
      expect(row.rows[0]).toEqual({
        method: 'GET',
        path_pattern: `/${slug}/*`,
        upstream_url: `${up.url}/new-base`,
        cost: 2,
        rate_limit_per_minute: 50,
        timeout_ms: 5000,
        is_public: false,
      });
      const list = await endpointsCli(server(), ['list']);
      expect(list).toContain(id);
      expect(list).toContain(`/${slug}/*`);

      const added = await within(6500, async () => (await gw(server(), 'GET', `/${slug}/x`, { key: secret })).status === 200);
      expect(added, 'ms until the new endpoint was served').toBeGreaterThanOrEqual(0);
      expect(added).toBeLessThanOrEqual(6500);
      const r = await gw(server(), 'GET', `/${slug}/x`, { key: secret });
      expect(r.text).toBe('new endpoint');
      expect(upstreamRequestOf(r).path).toBe(`/new-base/${slug}/x`);

      await endpointsCli(server(), ['remove', id]);
      expect(await endpointsCli(server(), ['list'])).not.toContain(id);
      const removed = await within(6500, async () => (await gw(server(), 'GET', `/${slug}/x`, { key: secret })).status === 404);
      expect(removed, 'ms until the removed endpoint was 404').toBeGreaterThanOrEqual(0);
      expectGwProblem(await gw(server(), 'GET', `/${slug}/x`, { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
    });
  });
});
