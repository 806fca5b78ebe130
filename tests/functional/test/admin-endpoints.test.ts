/**
 * The gateway's API catalog as administrators edit it: GET/POST /api/admin/endpoints and PATCH/DELETE
 * /api/admin/endpoints/{id}. A created endpoint is served by /gw/… at once (no restart, no waiting for the 5 s
 * catalog reload); PATCH changes cost and enabled live; DELETE makes the path 404. Validation refuses bad
 * methods and patterns, upstream URLs with a query, credentials or a non-http scheme, and upstreams pointing back at
 * this Tollgate. Every change is audited.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { startUpstream, type Upstream } from '../harness/upstream.js';
import { api } from './auth-helpers.js';
import { createKey, newTenant, setPlan } from './keys-helpers.js';
import { gw, expectGwOk, expectGwProblem, rateHeaders } from './gateway-helpers.js';
import { ADMIN_ENV, AD, UUID_RE, adminSignIn, at, expectAdminAudit, invalid, marker, ok, problem, type Admin } from './admin-helpers.js';

describe('admin: API catalog', () => {
  let upstream: Upstream;
  beforeAll(async () => {
    upstream = await startUpstream();
  });
  afterAll(async () => {
    await upstream?.close();
  });

  const server = useServer(ADMIN_ENV);
  printLogsOnFailure();

  let admin: Admin;
  let secret: string;

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'catalog-admin');
    const t = await newTenant(server(), 'catalog-tenant');
    await setPlan(server(), t.orgId, 'business');
    secret = (await createKey(server(), t.token, { rateLimitPerMinute: 100000 })).secret;
  });

  const create = (body: unknown) => api(server(), 'post', AD.endpoints, { token: admin.token, body });
  const createOk = async (body: Record<string, unknown>) => ok(await create(body), 'post', AD.endpoints, 201);
  const patch = (id: string, body: unknown) => api(server(), 'patch', at(AD.endpoint, id), { token: admin.token, body });
  const patchOk = async (id: string, body: Record<string, unknown>) => ok(await patch(id, body), 'patch', AD.endpoint, 200);
  const del = (id: string, body?: unknown) => api(server(), 'delete', at(AD.endpoint, id), { token: admin.token, body });
  const listOk = async () => ok(await api(server(), 'get', AD.endpoints, { token: admin.token }), 'get', AD.endpoints, 200).endpoints as any[];
  const prefix = () => `/adm-${marker('p')}`;

  it('200: the list has the seeded echo endpoint', async () => {
    const eps = await listOk();
    expect(eps.find((e) => e.pathPattern === '/echo/*')).toMatchObject({ method: '*', upstreamUrl: 'internal://echo', enabled: true });
  });

  it('201: created with its defaults and served by /gw at once; the upstream gets base path + path', async () => {
    const p = prefix();
    const ep = await createOk({ pathPattern: `${p}/*`, upstreamUrl: `${upstream.url}/base/`, reason: 'Launch of the base API' });
    expect(ep).not.toHaveProperty('reason');
    expect(ep).toMatchObject({
      method: '*',
      pathPattern: `${p}/*`,
      upstreamUrl: `${upstream.url}/base/`,
      description: '',
      cost: 1,
      rateLimitPerMinute: null,
      timeoutMs: 30000,
      isPublic: false,
      enabled: true,
    });
    expect(ep.id).toMatch(UUID_RE);
    // No wait: the first request after the 201 is already routed.
    const r = await gw(server(), 'GET', `${p}/hello?x=1`, { key: secret });
    expectGwOk(r);
    expect(r.json).toMatchObject({ ok: true, method: 'GET', path: `/base${p}/hello` });
    expect(upstream.requestsTo(`/base${p}/hello`).length).toBe(1);
    expect(upstream.requestsTo(`/base${p}/hello`)[0]!.query).toBe('x=1');
    expect((await listOk()).map((e) => e.id)).toContain(ep.id);
    const row = await expectAdminAudit(server(), admin, ep.id, 'admin.endpoint.created', 'Launch of the base API', { targetType: 'api_endpoint' });
    expect(row.metadata).toMatchObject({ method: '*', pathPattern: `${p}/*`, cost: 1 });
  });

  it('201: an internal://echo endpoint with every field set, public (no key needed)', async () => {
    const p = prefix();
    const ep = await createOk({
      method: 'POST',
      pathPattern: `${p}/{id}/run`,
      upstreamUrl: 'internal://echo',
      description: 'Runs a job',
      cost: 0,
      rateLimitPerMinute: 500,
      timeoutMs: 2000,
      isPublic: true,
      enabled: true,
    });
    expect(ep).toMatchObject({ method: 'POST', cost: 0, rateLimitPerMinute: 500, timeoutMs: 2000, isPublic: true, description: 'Runs a job' });
    const r = await gw(server(), 'POST', `${p}/42/run`, { body: 'hi' });
    expectGwOk(r, 'post');
    expect(r.json).toMatchObject({ method: 'POST', path: `${p}/42/run`, body: 'hi' });
    // Only POST was added.
    expectGwProblem(await gw(server(), 'GET', `${p}/42/run`), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('200 PATCH: cost and enabled change live; rateLimitPerMinute null drops the limit; audited (with the optional reason)', async () => {
    const p = prefix();
    const ep = await createOk({ pathPattern: `${p}/*`, upstreamUrl: 'internal://echo', cost: 3, rateLimitPerMinute: 1000 });
    const first = await gw(server(), 'GET', `${p}/a`, { key: secret });
    expectGwOk(first);
    const second = await gw(server(), 'GET', `${p}/a`, { key: secret });
    expect(rateHeaders(first).remaining - rateHeaders(second).remaining, 'a call uses its cost (3) of the key window').toBe(3);

    const changed = await patchOk(ep.id, { cost: 7, rateLimitPerMinute: null, description: 'now pricier', reason: 'Upstream costs went up' });
    expect(changed).toMatchObject({ id: ep.id, cost: 7, rateLimitPerMinute: null, description: 'now pricier', pathPattern: `${p}/*` });
    const third = await gw(server(), 'GET', `${p}/a`, { key: secret });
    expectGwOk(third);
    expect(rateHeaders(second).remaining - rateHeaders(third).remaining, 'the new cost (7) applies to the next call').toBe(7);
    const row = await expectAdminAudit(server(), admin, ep.id, 'admin.endpoint.updated', 'Upstream costs went up', { targetType: 'api_endpoint' });
    expect(row.metadata).toMatchObject({ cost: 7 });

    expect((await patchOk(ep.id, { enabled: false })).enabled).toBe(false);
    expectGwProblem(await gw(server(), 'GET', `${p}/a`, { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
    expect((await listOk()).find((e) => e.id === ep.id)).toMatchObject({ enabled: false });
    expect((await patchOk(ep.id, { enabled: true })).enabled).toBe(true);
    expectGwOk(await gw(server(), 'GET', `${p}/a`, { key: secret }));
    // Without a reason (it is optional for the catalog): the newest row has none.
    await expectAdminAudit(server(), admin, ep.id, 'admin.endpoint.updated', null, { count: 3 });
  });

  it('200 PATCH: the per-endpoint rate limit and isPublic change live', async () => {
    const p = prefix();
    const ep = await createOk({ method: 'GET', pathPattern: `${p}/*`, upstreamUrl: 'internal://echo', rateLimitPerMinute: 2 });
    expectGwOk(await gw(server(), 'GET', `${p}/1`, { key: secret }));
    expectGwOk(await gw(server(), 'GET', `${p}/2`, { key: secret }));
    expectGwProblem(await gw(server(), 'GET', `${p}/3`, { key: secret }), 429, 'RATE_LIMITED');
    await patchOk(ep.id, { rateLimitPerMinute: null });
    expectGwOk(await gw(server(), 'GET', `${p}/4`, { key: secret }));

    expectGwProblem(await gw(server(), 'GET', `${p}/5`), 401, 'API_KEY_REQUIRED');
    await patchOk(ep.id, { isPublic: true });
    expectGwOk(await gw(server(), 'GET', `${p}/6`));
    await patchOk(ep.id, { isPublic: false });
    expectGwProblem(await gw(server(), 'GET', `${p}/7`), 401, 'API_KEY_REQUIRED');
  });

  it('200 PATCH: moving the pattern moves the route', async () => {
    const p = prefix();
    const q = prefix();
    const ep = await createOk({ method: 'GET', pathPattern: `${p}/x`, upstreamUrl: 'internal://echo', isPublic: true });
    expectGwOk(await gw(server(), 'GET', `${p}/x`));
    await patchOk(ep.id, { pathPattern: `${q}/x` });
    expectGwOk(await gw(server(), 'GET', `${q}/x`));
    expectGwProblem(await gw(server(), 'GET', `${p}/x`), 404, 'ENDPOINT_NOT_FOUND');
  });

  it('204 DELETE: the /gw path answers 404 at once; the id is then unknown; audited', async () => {
    const p = prefix();
    const ep = await createOk({ pathPattern: `${p}/*`, upstreamUrl: 'internal://echo' });
    expectGwOk(await gw(server(), 'GET', `${p}/z`, { key: secret }));
    ok(await del(ep.id, { reason: 'Upstream retired' }), 'delete', AD.endpoint, 204);
    expectGwProblem(await gw(server(), 'GET', `${p}/z`, { key: secret }), 404, 'ENDPOINT_NOT_FOUND');
    expect((await listOk()).map((e) => e.id)).not.toContain(ep.id);
    problem(await del(ep.id), 'delete', AD.endpoint, 404, 'ENDPOINT_NOT_FOUND');
    problem(await patch(ep.id, { cost: 2 }), 'patch', AD.endpoint, 404, 'ENDPOINT_NOT_FOUND');
    const row = await expectAdminAudit(server(), admin, ep.id, 'admin.endpoint.deleted', 'Upstream retired', { targetType: 'api_endpoint' });
    expect(row.metadata).toMatchObject({ method: '*', pathPattern: `${p}/*` });
  });

  it('404 ENDPOINT_NOT_FOUND: unknown or malformed id', async () => {
    problem(await patch(crypto.randomUUID(), { cost: 2 }), 'patch', AD.endpoint, 404, 'ENDPOINT_NOT_FOUND');
    problem(await patch('nope', { cost: 2 }), 'patch', AD.endpoint, 404, 'ENDPOINT_NOT_FOUND');
    problem(await del(crypto.randomUUID()), 'delete', AD.endpoint, 404, 'ENDPOINT_NOT_FOUND');
    problem(await del('nope'), 'delete', AD.endpoint, 404, 'ENDPOINT_NOT_FOUND');
  });

  it('409 ENDPOINT_EXISTS: the same method and pattern (created or patched onto); another method is fine', async () => {
    const p = prefix();
    const a = await createOk({ method: 'GET', pathPattern: `${p}/x`, upstreamUrl: 'internal://echo' });
    problem(await create({ method: 'GET', pathPattern: `${p}/x`, upstreamUrl: upstream.url }), 'post', AD.endpoints, 409, 'ENDPOINT_EXISTS');
    const b = await createOk({ method: 'POST', pathPattern: `${p}/x`, upstreamUrl: 'internal://echo' });
    problem(await patch(b.id, { method: 'GET' }), 'patch', AD.endpoint, 409, 'ENDPOINT_EXISTS');
    expect((await listOk()).find((e) => e.id === b.id).method).toBe('POST');
    expect((await listOk()).find((e) => e.id === a.id).upstreamUrl).toBe('internal://echo');
    // The default method '*' is a method of its own.
    await createOk({ pathPattern: `${p}/x`, upstreamUrl: 'internal://echo' });
    problem(await create({ pathPattern: `${p}/x`, upstreamUrl: 'internal://echo' }), 'post', AD.endpoints, 409, 'ENDPOINT_EXISTS');
  });

  describe('422 VALIDATION_FAILED (nothing is created)', () => {
    const base = () => ({ pathPattern: `${prefix()}/*`, upstreamUrl: 'https://api.example.com/v1' });

    async function refused(override: Record<string, unknown>, field: string): Promise<void> {
      const body = { ...base(), ...override };
      const before = (await listOk()).length;
      invalid(await create(body), 'post', AD.endpoints, field);
      expect((await listOk()).length, `nothing created for ${JSON.stringify(override)}`).toBe(before);
    }

    it('method', async () => {
      for (const method of ['FETCH', 'get', '', 'CONNECT', 'TRACE', 7]) await refused({ method }, 'method');
    });

    it('pathPattern: missing, no leading slash, "..", "." or empty segments, "*" not last, bad characters or {param}', async () => {
      await refused({ pathPattern: undefined }, 'pathPattern');
      for (const pathPattern of [
        'no-slash',
        '/a/../b',
        '/a/..',
        '/a/./b',
        '/a//b',
        '/a/*/b',
        '/*/x',
        '/a/b*',
        '/a b',
        '/a?x=1',
        '/a/{bad-name}',
        '/a/{}',
        '/a/{x}y',
        `/${'a'.repeat(512)}`,
        42,
      ]) {
        await refused({ pathPattern }, 'pathPattern');
      }
    });

    it('upstreamUrl: missing, with a query or fragment, with credentials, a non-http scheme, no host, a bad port', async () => {
      await refused({ upstreamUrl: undefined }, 'upstreamUrl');
      for (const upstreamUrl of [
        'https://api.example.com/v1?key=abc',
        'https://api.example.com/v1#frag',
        'https://user:secret@api.example.com/v1',
        'https://user@api.example.com',
        'ftp://files.example.com/',
        'file:///etc/passwd',
        'gopher://example.com/',
        'javascript:alert(1)',
        'internal://other',
        'api.example.com/v1',
        'http://',
        'http://:8080/',
        'http://example.com:0/',
        'http://example.com:99999/',
        'http://example.com:port/',
        `https://example.com/${'x'.repeat(2048)}`,
      ]) {
        await refused({ upstreamUrl }, 'upstreamUrl');
      }
    });

    it('upstreamUrl pointing back at this Tollgate through its PUBLIC_URL (POST and PATCH)', async () => {
      for (const upstreamUrl of ['https://app.tollgate.test/', 'https://APP.tollgate.test/gw', 'https://app.tollgate.test:443/x']) {
        await refused({ upstreamUrl }, 'upstreamUrl');
      }
      // Another port of that host is another service.
      await createOk({ pathPattern: `${prefix()}/*`, upstreamUrl: 'https://app.tollgate.test:8443/' });
      const ep = await createOk({ pathPattern: `${prefix()}/*`, upstreamUrl: 'internal://echo' });
      invalid(await patch(ep.id, { upstreamUrl: 'https://app.tollgate.test/' }), 'patch', AD.endpoint, 'upstreamUrl');
      expect((await listOk()).find((e) => e.id === ep.id).upstreamUrl).toBe('internal://echo');
    });

    it('upstreamUrl pointing back at this Tollgate: its own (listening) port on a loopback address (POST and PATCH)', async () => {
      const port = server().port;
      for (const upstreamUrl of [
        `http://127.0.0.1:${port}/`,
        `http://127.0.0.1:${port}/gw/echo`,
        `http://localhost:${port}`,
        `http://LOCALHOST:${port}/x`,
        `http://127.0.0.2:${port}/`,
      ]) {
        await refused({ upstreamUrl }, 'upstreamUrl');
      }
      const ep = await createOk({ pathPattern: `${prefix()}/*`, upstreamUrl: 'internal://echo' });
      invalid(await patch(ep.id, { upstreamUrl: `http://127.0.0.1:${port}/` }), 'patch', AD.endpoint, 'upstreamUrl');
      expect((await listOk()).find((e) => e.id === ep.id).upstreamUrl).toBe('internal://echo');
    });

    it('cost, rateLimitPerMinute, timeoutMs out of range or not integers; booleans; description; unknown field', async () => {
      for (const cost of [-1, 1000001, 1.5, '5', null]) await refused({ cost }, 'cost');
      for (const rateLimitPerMinute of [0, -5, 1000001, 2.5, 'x']) await refused({ rateLimitPerMinute }, 'rateLimitPerMinute');
      for (const timeoutMs of [0, 600001, 'fast']) await refused({ timeoutMs }, 'timeoutMs');
      await refused({ isPublic: 'yes' }, 'isPublic');
      await refused({ enabled: 1 }, 'enabled');
      await refused({ description: 'd'.repeat(501) }, 'description');
      await refused({ upstream: 'https://x.example' }, 'upstream');
      await refused({ reason: 42 }, 'reason');
      await refused({ reason: 'r'.repeat(2001) }, 'reason');
    });

    it('PATCH: an empty body, or a bad value, changes nothing', async () => {
      const ep = await createOk({ pathPattern: `${prefix()}/*`, upstreamUrl: 'internal://echo', cost: 4 });
      invalid(await patch(ep.id, {}), 'patch', AD.endpoint, 'body');
      invalid(await patch(ep.id, { cost: -2 }), 'patch', AD.endpoint, 'cost');
      invalid(await patch(ep.id, { upstreamUrl: 'https://user:pw@example.com/' }), 'patch', AD.endpoint, 'upstreamUrl');
      invalid(await patch(ep.id, { pathPattern: '/x/../y' }), 'patch', AD.endpoint, 'pathPattern');
      invalid(await patch(ep.id, { id: crypto.randomUUID() }), 'patch', AD.endpoint, 'id');
      expect((await listOk()).find((e) => e.id === ep.id)).toMatchObject({ cost: 4, upstreamUrl: 'internal://echo' });
    });
  });
});
