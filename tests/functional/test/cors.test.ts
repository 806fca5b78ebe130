import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';

const ALLOWED = 'https://app.example.com';
const EVIL = 'https://evil.example';

function listOf(h: string | null): string[] {
  return (h ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
}

describe('CORS with CORS_ORIGINS=https://app.example.com', () => {
  const server = useServer({ CORS_ORIGINS: ALLOWED });
  printLogsOnFailure();

  function preflight(origin: string, method = 'POST', headers = 'content-type') {
    return request(server().baseUrl + '/api/client-errors', {
      method: 'OPTIONS',
      headers: { origin, 'access-control-request-method': method, 'access-control-request-headers': headers },
    });
  }

  it('204: preflight from an allowed origin', async () => {
    const r = await preflight(ALLOWED);
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
    expect(r.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(listOf(r.headers.get('access-control-allow-methods'))).toContain('post');
    expect(listOf(r.headers.get('access-control-allow-headers'))).toContain('content-type');
    expect(Number(r.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    expect(listOf(r.headers.get('vary'))).toContain('origin');
  });

  it('403: preflight from a foreign origin → CORS_ORIGIN_DENIED, no ACAO', async () => {
    const r = await preflight(EVIL);
    expect(r.status).toBe(403);
    const body = expectProblemShape(403, r.contentType, r.text);
    expect(body.code).toBe('CORS_ORIGIN_DENIED');
    expect(body.requestId).toBe(r.headers.get('x-request-id'));
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    expect(r.headers.get('access-control-allow-credentials')).toBeNull();
  });

  it('403: preflight with Origin: null → CORS_ORIGIN_DENIED', async () => {
    const r = await preflight('null');
    expect(r.status).toBe(403);
    const body = expectProblemShape(403, r.contentType, r.text);
    expect(body.code).toBe('CORS_ORIGIN_DENIED');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('403: simple GET with Origin: null → CORS_ORIGIN_DENIED', async () => {
    const r = await request(server().baseUrl + '/api/version', { headers: { origin: 'null' } });
    expect(r.status).toBe(403);
    const body = expectProblemShape(403, r.contentType, r.text);
    expect(body.code).toBe('CORS_ORIGIN_DENIED');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    validateResponse('get', '/api/version', 403, r.contentType, r.text);
  });

  it('403: simple GET from a foreign origin → CORS_ORIGIN_DENIED', async () => {
    const r = await request(server().baseUrl + '/api/version', { headers: { origin: EVIL } });
    expect(r.status).toBe(403);
    const body = expectProblemShape(403, r.contentType, r.text);
    expect(body.code).toBe('CORS_ORIGIN_DENIED');
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('403: an origin that merely starts with the allowed one is not allowed (exact match)', async () => {
    const r = await request(server().baseUrl + '/api/version', { headers: { origin: ALLOWED + '.evil.example' } });
    expect(r.status).toBe(403);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('200: simple GET /api/version from the allowed origin has ACAO, credentials and Vary: Origin', async () => {
    const r = await request(server().baseUrl + '/api/version', { headers: { origin: ALLOWED } });
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(r.headers.get('access-control-allow-credentials')).toBe('true');
    expect(listOf(r.headers.get('vary'))).toContain('origin');
    validateResponse('get', '/api/version', 200, r.contentType, r.text);
  });

  it('202: POST from the allowed origin is served with ACAO', async () => {
    const r = await request(server().baseUrl + '/api/client-errors', {
      method: 'POST',
      headers: { origin: ALLOWED, 'content-type': 'application/json' },
      body: JSON.stringify({ message: 'from the dashboard' }),
    });
    expect(r.status).toBe(202);
    expect(r.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('200: same-origin request (Origin host equals Host) passes', async () => {
    const origin = `http://127.0.0.1:${server().port}`;
    const r = await request(server().baseUrl + '/api/version', { headers: { origin } });
    expect(r.status).toBe(200);
    validateResponse('get', '/api/version', 200, r.contentType, r.text);
  });

  it('200: no Origin header → served, no ACAO', async () => {
    const r = await request(server().baseUrl + '/api/version');
    expect(r.status).toBe(200);
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });
});
