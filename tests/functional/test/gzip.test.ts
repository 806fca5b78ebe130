import { describe, it, expect } from 'vitest';
import zlib from 'node:zlib';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { rawHttp } from '../harness/http.js';
import { loadSpec, validateResponse } from '../harness/openapi.js';

function varyList(v: string | string[] | undefined): string[] {
  return (Array.isArray(v) ? v.join(',') : v ?? '').split(',').map((s) => s.trim().toLowerCase());
}

describe('gzip compression', () => {
  const server = useServer();
  printLogsOnFailure();

  it('GET /api/openapi.json with Accept-Encoding: gzip → gzip body equal to the spec', async () => {
    const r = await rawHttp(server().baseUrl + '/api/openapi.json', { headers: { 'accept-encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('gzip');
    expect(varyList(r.headers['vary'])).toContain('accept-encoding');
    expect(r.body.subarray(0, 2).equals(Buffer.from([0x1f, 0x8b]))).toBe(true);
    const text = zlib.gunzipSync(r.body).toString('utf8');
    const doc = JSON.parse(text);
    const spec = loadSpec();
    expect(doc.openapi).toBe(spec.openapi);
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(spec.paths).sort());
    validateResponse('get', '/api/openapi.json', 200, String(r.headers['content-type']), text);
  });

  it('Accept-Encoding listing several codings incl. gzip → gzip', async () => {
    const r = await rawHttp(server().baseUrl + '/api/openapi.json', { headers: { 'accept-encoding': 'br;q=1.0, gzip;q=0.8, *;q=0.1' } });
    expect(r.status).toBe(200);
    if (r.headers['content-encoding'] === 'gzip') {
      JSON.parse(zlib.gunzipSync(r.body).toString('utf8'));
    } else {
      // br is allowed by the client too; what matters is that the body is decodable.
      expect(['br', undefined, 'identity']).toContain(r.headers['content-encoding']);
    }
  });

  it('without Accept-Encoding → identity body', async () => {
    const r = await rawHttp(server().baseUrl + '/api/openapi.json');
    expect(r.status).toBe(200);
    expect([undefined, 'identity']).toContain(r.headers['content-encoding']);
    const doc = JSON.parse(r.body.toString('utf8'));
    expect(Object.keys(doc.paths).sort()).toEqual(Object.keys(loadSpec().paths).sort());
  });

  it('a tiny response (/healthz) is not compressed even when gzip is accepted', async () => {
    const r = await rawHttp(server().baseUrl + '/healthz', { headers: { 'accept-encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).not.toBe('gzip');
    expect(JSON.parse(r.body.toString('utf8'))).toEqual({ status: 'ok' });
  });

  it('HEAD /api/openapi.json with gzip → 200 without a body', async () => {
    const r = await rawHttp(server().baseUrl + '/api/openapi.json', { method: 'HEAD', headers: { 'accept-encoding': 'gzip' } });
    expect(r.status).toBe(200);
    expect(r.body.length).toBe(0);
  });
});
