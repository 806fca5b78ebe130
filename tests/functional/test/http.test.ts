import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request, rawConnect, parseResponses } from '../harness/http.js';
import { loadSpec, validateResponse } from '../harness/openapi.js';
import { sleep } from '../harness/env.js';

const get = (path: string, extra = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n${extra}\r\n`;

describe('HTTP/1.1 behaviour', () => {
  const server = useServer();
  printLogsOnFailure();

  it('keep-alive: two requests on one connection', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(get('/healthz', 'X-Request-ID: ka-1\r\n'));
      const first = await conn.waitResponses(1);
      expect(first).toHaveLength(1);
      expect(first[0]!.status).toBe(200);
      expect((first[0]!.headers['connection'] ?? '').toLowerCase()).not.toBe('close');
      await sleep(100);
      expect(conn.closed()).toBe(false);
      await conn.write(get('/healthz', 'X-Request-ID: ka-2\r\n'));
      const both = await conn.waitResponses(2);
      expect(both).toHaveLength(2);
      expect(both[1]!.status).toBe(200);
      expect(both[1]!.headers['x-request-id']).toBe('ka-2');
      expect(JSON.parse(both[1]!.body.toString('utf8'))).toEqual({ status: 'ok' });
    } finally {
      conn.close();
    }
  });

  it('pipelining: 3 requests in one write → 3 responses in order', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(
        get('/healthz', 'X-Request-ID: pipe-1\r\n') + get('/healthz', 'X-Request-ID: pipe-2\r\n') + get('/healthz', 'X-Request-ID: pipe-3\r\n'),
      );
      const res = await conn.waitResponses(3);
      expect(res.map((r) => r.status)).toEqual([200, 200, 200]);
      expect(res.map((r) => r.headers['x-request-id'])).toEqual(['pipe-1', 'pipe-2', 'pipe-3']);
      for (const r of res) expect(JSON.parse(r.body.toString('utf8'))).toEqual({ status: 'ok' });
    } finally {
      conn.close();
    }
  });

  it('pipelining mixes paths and keeps order (404 between two 200s)', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(get('/api/version') + get('/api/nope-pipelined') + get('/healthz'));
      const res = await conn.waitResponses(3);
      expect(res.map((r) => r.status)).toEqual([200, 404, 200]);
      validateResponse('get', '/api/version', 200, res[0]!.headers['content-type'] ?? '', res[0]!.body.toString('utf8'));
    } finally {
      conn.close();
    }
  });

  it('HEAD /healthz: 200 without a body (next pipelined response starts right after the headers)', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(`HEAD /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n` + get('/healthz', 'X-Request-ID: after-head\r\n'));
      const res = await conn.waitResponses(2, 10_000, [true, false]);
      expect(res).toHaveLength(2);
      expect(res[0]!.status).toBe(200);
      expect(res[0]!.body.length).toBe(0);
      expect(res[1]!.statusLine).toMatch(/^HTTP\/1\.1 200/);
      expect(res[1]!.headers['x-request-id']).toBe('after-head');
      const { consumed } = parseResponses(conn.received(), [true, false]);
      expect(consumed).toBe(conn.received().length);
    } finally {
      conn.close();
    }
  });

  it('HEAD /healthz via fetch: empty body', async () => {
    const r = await request(server().baseUrl + '/healthz', { method: 'HEAD' });
    expect(r.status).toBe(200);
    expect(r.text).toBe('');
  });

  it('Connection: close is honoured', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write(get('/healthz', 'Connection: close\r\n'));
      const res = await conn.waitResponses(1);
      expect(res[0]?.status).toBe(200);
      const t0 = Date.now();
      while (!conn.closed() && Date.now() - t0 < 3000) await sleep(20);
      expect(conn.closed()).toBe(true);
    } finally {
      conn.close();
    }
  });

  it('a garbage request line gets a 4xx (or a close), never a 5xx, and the server stays up', async () => {
    const conn = await rawConnect(server().port);
    try {
      await conn.write('THIS IS NOT HTTP\r\n\r\n');
      const res = await conn.waitResponses(1, 3000);
      if (res.length) {
        expect(res[0]!.status).toBeGreaterThanOrEqual(400);
        expect(res[0]!.status).toBeLessThan(500);
      }
    } finally {
      conn.close();
    }
    const r = await request(server().baseUrl + '/healthz');
    expect(r.status).toBe(200);
  });

  it('/metrics: text/plain with request counter and duration histogram', async () => {
    await request(server().baseUrl + '/api/version');
    await request(server().baseUrl + '/api/nope');
    const r = await request(server().baseUrl + '/metrics');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^text\/plain/);
    expect(r.text).toContain('tollgate_http_requests_total');
    expect(r.text).toContain('tollgate_http_request_duration_seconds_bucket');
    expect(r.text).toMatch(/^tollgate_http_requests_total(\{[^}]*\})? \d+(\.\d+)?(e[+-]?\d+)?$/m);
    expect(r.text).toMatch(/^tollgate_http_request_duration_seconds_bucket\{[^}]*le="\+Inf"[^}]*\} \d+/m);
    validateResponse('get', '/metrics', 200, r.contentType, r.text);
  });

  it('/api/openapi.json: valid JSON listing every path of the spec', async () => {
    const r = await request(server().baseUrl + '/api/openapi.json');
    expect(r.status).toBe(200);
    expect(r.contentType).toMatch(/^application\/json/);
    expect(r.json).toBeTypeOf('object');
    const served = Object.keys(r.json.paths ?? {}).sort();
    expect(served).toEqual(Object.keys(loadSpec().paths).sort());
    validateResponse('get', '/api/openapi.json', 200, r.contentType, r.text);
  });
});
