import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { hasWebDist } from '../harness/env.js';

function expectSecurityHeaders(h: Headers, where: string): void {
  const csp = h.get('content-security-policy');
  expect(csp, `${where}: Content-Security-Policy`).toBeTruthy();
  expect(csp!.toLowerCase()).toContain("frame-ancestors 'none'");
  expect(h.get('x-content-type-options'), `${where}: X-Content-Type-Options`).toBe('nosniff');
  expect(h.get('referrer-policy'), `${where}: Referrer-Policy`).toBeTruthy();
  expect((h.get('x-frame-options') ?? '').toUpperCase(), `${where}: X-Frame-Options`).toBe('DENY');
  expect(h.get('cross-origin-opener-policy'), `${where}: COOP`).toBe('same-origin');
  expect(h.get('cross-origin-resource-policy'), `${where}: CORP`).toBe('same-origin');
}

const targets: Array<[string, string, number]> = [
  ['GET /api/version', '/api/version', 200],
  ['GET /healthz', '/healthz', 200],
  ['a 404', '/api/no/such/thing', 404],
];

describe('security headers (default: no HSTS)', () => {
  const server = useServer();
  printLogsOnFailure();

  it.skipIf(!hasWebDist())('GET / (SPA index) carries the security headers', async () => {
    const r = await request(server().baseUrl + '/');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/html/);
    expectSecurityHeaders(r.headers, 'GET /');
    expect(r.headers.get('strict-transport-security')).toBeNull();
  });

  it.each(targets)('%s carries the security headers and no HSTS', async (label, path, status) => {
    const r = await request(server().baseUrl + path);
    expect(r.status).toBe(status);
    expectSecurityHeaders(r.headers, label);
    expect(r.headers.get('strict-transport-security')).toBeNull();
  });

  it('a 405 carries the security headers', async () => {
    const r = await request(server().baseUrl + '/healthz', { method: 'DELETE' });
    expect(r.status).toBe(405);
    expectSecurityHeaders(r.headers, 'a 405');
  });
});

describe('security headers with TRUST_PROXY_TLS=true', () => {
  const server = useServer({ TRUST_PROXY_TLS: 'true' });
  printLogsOnFailure();

  it.each(targets)('%s carries HSTS', async (label, path, status) => {
    const r = await request(server().baseUrl + path);
    expect(r.status).toBe(status);
    expectSecurityHeaders(r.headers, label);
    const hsts = r.headers.get('strict-transport-security');
    expect(hsts).toBeTruthy();
    const maxAge = /max-age=(\d+)/i.exec(hsts!);
    expect(maxAge, `HSTS without max-age: ${hsts}`).not.toBeNull();
    expect(Number(maxAge![1])).toBeGreaterThan(0);
  });
});
