import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request, rawConnect, type FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._:-]{1,128}$/;
const ONE_MIB = 1024 * 1024;

describe('errors: problem+json for every failure, never a 5xx', () => {
  const server = useServer();
  printLogsOnFailure();
  const seen: Array<{ what: string; status: number }> = [];

  async function call(path: string, init: RequestInit = {}): Promise<FetchResult> {
    const r = await request(server().baseUrl + path, init);
    seen.push({ what: `${init.method ?? 'GET'} ${path}`, status: r.status });
    return r;
  }

  function postReport(body: string | Uint8Array, contentType = 'application/json'): Promise<FetchResult> {
    return call('/api/client-errors', { method: 'POST', headers: { 'content-type': contentType }, body });
  }

  it('404: unknown path → problem+json NOT_FOUND with requestId = X-Request-ID', async () => {
    // Under /api: outside it the dashboard's SPA fallback may legitimately answer index.html.
    const r = await call('/api/definitely/not/here');
    expect(r.status).toBe(404);
    const body = expectProblemShape(404, r.contentType, r.text);
    expect(body.code).toBe('NOT_FOUND');
    expect(typeof body.type).toBe('string');
    expect(typeof body.title).toBe('string');
    const rid = r.headers.get('x-request-id');
    expect(rid).toMatch(REQUEST_ID_RE);
    expect(body.requestId).toBe(rid);
  });

  it('404: unknown /api path, POST → NOT_FOUND', async () => {
    const r = await call('/api/definitely-not-here', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(404);
    const body = expectProblemShape(404, r.contentType, r.text);
    expect(body.code).toBe('NOT_FOUND');
    expect(body.requestId).toBe(r.headers.get('x-request-id'));
  });

  it('405: POST /healthz → METHOD_NOT_ALLOWED with Allow containing GET', async () => {
    const r = await call('/healthz', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(r.status).toBe(405);
    const body = expectProblemShape(405, r.contentType, r.text);
    expect(body.code).toBe('METHOD_NOT_ALLOWED');
    const allow = (r.headers.get('allow') ?? '').split(',').map((s) => s.trim().toUpperCase());
    expect(allow).toContain('GET');
    validateResponse('get', '/healthz', 405, r.contentType, r.text); // the spec's `default` Problem
  });

  it('413: POST /api/client-errors with a body > 1 MiB (Content-Length) → PAYLOAD_TOO_LARGE', async () => {
    const payload = Buffer.from(JSON.stringify({ message: 'x'.repeat(ONE_MIB + 1024) }));
    // Raw socket: the server may answer before reading the whole body and close; write errors are ignored.
    const conn = await rawConnect(server().port);
    try {
      await conn.write(
        `POST /api/client-errors HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${payload.length}\r\nConnection: close\r\n\r\n`,
      );
      // Like fetch or a browser, send the body right away (no Expect: 100-continue). The server must still
      // deliver the 413 (e.g. drain or half-close before closing) instead of resetting the connection.
      void conn.write(payload);
      const [res] = await conn.waitResponses(1, 15_000);
      expect(
        res,
        `no 413 received (connection ${conn.closed() ? 'closed/reset' : 'still open'}; got ${conn.received().length} bytes: ` +
          `${conn.received().toString('latin1').slice(0, 200)}) — closing a socket with unread request body sends an RST that destroys the response`,
      ).toBeDefined();
      seen.push({ what: 'POST /api/client-errors (2 MiB)', status: res!.status });
      expect(res!.status).toBe(413);
      const body = expectProblemShape(413, res!.headers['content-type'] ?? '', res!.body.toString('utf8'));
      expect(body.code).toBe('PAYLOAD_TOO_LARGE');
      validateResponse('post', '/api/client-errors', 413, res!.headers['content-type'] ?? '', res!.body.toString('utf8'));
    } finally {
      conn.close();
    }
  });

  it('413: Content-Length > 1 MiB announced, body not sent yet → PAYLOAD_TOO_LARGE before the body', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(
        `POST /api/client-errors HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Content-Length: ${2 * ONE_MIB}\r\n\r\n`,
      );
      const [res] = await conn.waitResponses(1, 5000);
      expect(res, 'no early 413').toBeDefined();
      seen.push({ what: 'POST /api/client-errors (CL 2 MiB, headers only)', status: res!.status });
      expect(res!.status).toBe(413);
      const body = expectProblemShape(413, res!.headers['content-type'] ?? '', res!.body.toString('utf8'));
      expect(body.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      conn.close();
    }
  });

  it('413: chunked body > 1 MiB (no Content-Length) → PAYLOAD_TOO_LARGE', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(
        `POST /api/client-errors HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n` +
          `Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n`,
      );
      const chunk = Buffer.from('x'.repeat(64 * 1024));
      const head = Buffer.from('{"message":"');
      void conn.write(Buffer.concat([Buffer.from(head.length.toString(16) + '\r\n'), head, Buffer.from('\r\n')]));
      for (let i = 0; i < 20 && !conn.closed(); i++) {
        await conn.write(Buffer.concat([Buffer.from(chunk.length.toString(16) + '\r\n'), chunk, Buffer.from('\r\n')]));
      }
      void conn.write('2\r\n"}\r\n0\r\n\r\n');
      const [res] = await conn.waitResponses(1, 15_000);
      expect(res, `no response; received: ${conn.received().toString('latin1').slice(0, 300)}`).toBeDefined();
      seen.push({ what: 'POST /api/client-errors (chunked 1.25 MiB)', status: res!.status });
      expect(res!.status).toBe(413);
      const body = expectProblemShape(413, res!.headers['content-type'] ?? '', res!.body.toString('utf8'));
      expect(body.code).toBe('PAYLOAD_TOO_LARGE');
    } finally {
      conn.close();
    }
  });

  it('415: Content-Type text/plain → UNSUPPORTED_MEDIA_TYPE', async () => {
    const r = await postReport(JSON.stringify({ message: 'boom' }), 'text/plain');
    expect(r.status).toBe(415);
    const body = expectProblemShape(415, r.contentType, r.text);
    expect(body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    validateResponse('post', '/api/client-errors', 415, r.contentType, r.text);
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    const r = await postReport('{"message": "unterminated');
    expect(r.status).toBe(400);
    const body = expectProblemShape(400, r.contentType, r.text);
    expect(body.code).toBe('MALFORMED_JSON');
    validateResponse('post', '/api/client-errors', 400, r.contentType, r.text);
  });

  it('400: invalid UTF-8 bytes inside a JSON string → INVALID_UTF8', async () => {
    const bytes = Buffer.concat([Buffer.from('{"message":"bad '), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]);
    const r = await postReport(new Uint8Array(bytes));
    expect(r.status).toBe(400);
    const body = expectProblemShape(400, r.contentType, r.text);
    expect(body.code).toBe('INVALID_UTF8');
    validateResponse('post', '/api/client-errors', 400, r.contentType, r.text);
  });

  it('422: unknown field → VALIDATION_FAILED with errors[] naming the field', async () => {
    const r = await postReport(JSON.stringify({ message: 'boom', bogusField: 1 }));
    expect(r.status).toBe(422);
    const body = expectProblemShape(422, r.contentType, r.text);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(Array.isArray(body.errors)).toBe(true);
    expect(body.errors.some((e: { field: string }) => e.field.includes('bogusField'))).toBe(true);
    validateResponse('post', '/api/client-errors', 422, r.contentType, r.text);
  });

  it('422: missing required `message` → VALIDATION_FAILED naming message', async () => {
    const r = await postReport(JSON.stringify({ stack: 'at x' }));
    expect(r.status).toBe(422);
    const body = expectProblemShape(422, r.contentType, r.text);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.some((e: { field: string }) => e.field.includes('message'))).toBe(true);
  });

  it('422: empty `message` (minLength 1) → VALIDATION_FAILED', async () => {
    const r = await postReport(JSON.stringify({ message: '' }));
    expect(r.status).toBe(422);
    const body = expectProblemShape(422, r.contentType, r.text);
    expect(body.code).toBe('VALIDATION_FAILED');
    expect(body.errors.some((e: { field: string }) => e.field.includes('message'))).toBe(true);
  });

  it('422: wrong type for `message` → VALIDATION_FAILED', async () => {
    const r = await postReport(JSON.stringify({ message: 42 }));
    expect(r.status).toBe(422);
    const body = expectProblemShape(422, r.contentType, r.text);
    expect(body.code).toBe('VALIDATION_FAILED');
  });

  it('202: valid report → {"accepted":true}', async () => {
    const r = await postReport(
      JSON.stringify({ message: 'TypeError: x is undefined', stack: 'at main.js:1:1', url: 'https://app.example.com/', userAgent: 'vitest' }),
    );
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ accepted: true });
    validateResponse('post', '/api/client-errors', 202, r.contentType, r.text);
  });

  it('202: Content-Type application/json; charset=utf-8 is accepted', async () => {
    const r = await postReport(JSON.stringify({ message: 'é ✓ 😀' }), 'application/json; charset=utf-8');
    expect(r.status).toBe(202);
    expect(r.json).toEqual({ accepted: true });
  });

  it('X-Request-ID: a sane value is echoed (header and problem body)', async () => {
    const id = 'req-abc.123:XYZ_9';
    const r = await call('/api/nope', { headers: { 'x-request-id': id } });
    expect(r.status).toBe(404);
    expect(r.headers.get('x-request-id')).toBe(id);
    expect(r.json.requestId).toBe(id);
    const ok = await call('/healthz', { headers: { 'x-request-id': id } });
    expect(ok.headers.get('x-request-id')).toBe(id);
  });

  it('X-Request-ID: a 128-char value is still sane and echoed', async () => {
    const id = 'a'.repeat(128);
    const r = await call('/healthz', { headers: { 'x-request-id': id } });
    expect(r.headers.get('x-request-id')).toBe(id);
  });

  it.each([
    ['300 characters', 'b'.repeat(300)],
    ['129 characters', 'c'.repeat(129)],
    ['spaces', 'has spaces in it'],
    ['a slash and quotes', 'a/b"c'],
  ])('X-Request-ID: insane value (%s) is replaced by a generated one', async (_label, id) => {
    const r = await call('/api/nope', { headers: { 'x-request-id': id } });
    expect(r.status).toBe(404);
    const echoed = r.headers.get('x-request-id');
    expect(echoed).not.toBe(id);
    expect(echoed).toMatch(REQUEST_ID_RE);
    expect(r.json.requestId).toBe(echoed);
  });

  it('X-Request-ID: generated when absent, unique per request', async () => {
    const a = await call('/healthz');
    const b = await call('/healthz');
    expect(a.headers.get('x-request-id')).toMatch(REQUEST_ID_RE);
    expect(b.headers.get('x-request-id')).toMatch(REQUEST_ID_RE);
    expect(a.headers.get('x-request-id')).not.toBe(b.headers.get('x-request-id'));
  });

  it('no request in this file was answered with a 5xx (runs last)', () => {
    expect(seen.length).toBeGreaterThan(10);
    const fives = seen.filter((x) => x.status >= 500);
    expect(fives, `5xx responses: ${JSON.stringify(fives)}`).toEqual([]);
  });
});
