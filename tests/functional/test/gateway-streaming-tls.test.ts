/**
 * /gw/{path}: https upstreams (certificate and host name verified, UPSTREAM_CA_FILE trusted, pooled connections)
 * and answers larger than the gateway's 1 MiB buffer, which are streamed: written to the caller while they are read
 * from the upstream, with the upstream's length or chunked, cut short when the upstream is, metered once.
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type net from 'node:net';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { sleep } from '../harness/env.js';
import { dbQuery } from './auth-helpers.js';
import { createKey, newTenant, type Tenant } from './keys-helpers.js';
import { GW_ENV, expectGwOk, expectGwProblem, gw, insertEndpoints, waitRoute } from './gateway-helpers.js';

const fixture = (name: string) => new URL(`../fixtures/tls/${name}`, import.meta.url).pathname;
const MiB = 1024 * 1024;

interface Origin {
  url: string;
  connections: () => number;
  close: () => Promise<void>;
}

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

async function listen(server: http.Server | https.Server, scheme: string, host = '127.0.0.1'): Promise<Origin> {
  let conns = 0;
  const sockets = new Set<net.Socket>();
  server.on(scheme === 'https' ? 'secureConnection' : 'connection', (s: net.Socket) => {
    conns++;
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    url: `${scheme}://${host}:${port}`,
    connections: () => conns,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function pattern(size: number, seed: number): Buffer {
  const b = Buffer.alloc(size);
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

/** GET through the gateway with node:http, reading the body as it arrives. */
function stream(
  base: string,
  path: string,
  key: string,
  onData?: (received: number) => void,
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer; complete: boolean; error?: string }> {
  return new Promise((resolve) => {
    const req = http.get(`${base}/gw${path}`, { headers: { 'x-api-key': key } }, (res) => {
      const chunks: Buffer[] = [];
      let received = 0;
      res.on('data', (c: Buffer) => {
        chunks.push(c);
        received += c.length;
        onData?.(received);
      });
      const done = (complete: boolean, error?: string) =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), complete, error });
      res.on('end', () => done(res.complete));
      res.on('aborted', () => done(false, 'aborted'));
      res.on('error', (e) => done(false, e.message));
    });
    req.on('error', (e) => resolve({ status: 0, headers: {}, body: Buffer.alloc(0), complete: false, error: e.message }));
    req.setTimeout(20_000, () => req.destroy(new Error('client timeout')));
  });
}

/** POST through the gateway with node:http: the pieces in order (chunked unless `length`), optionally pausing. */
function upload(
  base: string,
  path: string,
  key: string | undefined,
  pieces: Buffer[],
  opts: { length?: number; beforeLast?: Promise<unknown>; expectContinue?: boolean } = {},
): Promise<{ status: number; json: any; text: string; error?: string; continued: boolean; rid?: string }> {
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'content-type': 'application/octet-stream' };
    if (key) headers['x-api-key'] = key;
    if (opts.length !== undefined) headers['content-length'] = String(opts.length);
    if (opts.expectContinue) headers.expect = '100-continue';
    let continued = false;
    const req = http.request(`${base}/gw${path}`, { method: 'POST', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: any;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, json, text, continued, rid: res.headers['x-request-id'] as string | undefined });
      });
    });
    req.on('error', (e) => resolve({ status: 0, json: undefined, text: '', error: e.message, continued }));
    req.setTimeout(20_000, () => req.destroy(new Error('client timeout')));
    const send = async () => {
      for (let i = 0; i < pieces.length; i++) {
        if (i === pieces.length - 1 && opts.beforeLast) await opts.beforeLast;
        if (!req.write(pieces[i])) await new Promise((r) => req.once('drain', r));
      }
      req.end();
    };
    if (opts.expectContinue) {
      req.on('continue', () => {
        continued = true;
        void send();
      });
      req.flushHeaders();
    } else {
      void send();
    }
  });
}

const sha = (b: Buffer) => crypto.createHash('sha256').update(b).digest('hex');

describe('/gw/{path} https upstreams and streamed answers', () => {
  const server = useServer({ ...GW_ENV, UPSTREAM_CA_FILE: fixture('ca.pem'), GATEWAY_BODY_LIMIT: String(8 * MiB) });
  const untrusting = useServer(GW_ENV); // no UPSTREAM_CA_FILE: the test CA is unknown to it
  printLogsOnFailure();

  let tlsOrigin: Origin;
  let wrongName: Origin;
  let plain: Origin;
  let t: Tenant;
  let secret: string;
  let keyId: string;
  let otherSecret: string;
  const big = pattern(5 * MiB, 7);
  let release: (() => void) | undefined;
  let uploadSeen: (() => void) | undefined;
  let released = false;

  beforeAll(async () => {
    const tlsHandler: Handler = (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ tls: true, path: req.url }));
    };
    tlsOrigin = await listen(https.createServer({ key: fs.readFileSync(fixture('upstream.key')), cert: fs.readFileSync(fixture('upstream.pem')) }, tlsHandler), 'https');
    wrongName = await listen(https.createServer({ key: fs.readFileSync(fixture('other.key')), cert: fs.readFileSync(fixture('other.pem')) }, tlsHandler), 'https');
    plain = await listen(
      http.createServer((req, res) => {
        const p = (req.url ?? '/').replace(/^\/big/, ''); // the gateway forwards the whole path below /gw
        if (p.startsWith('/sized')) {
          // 5 MiB with a Content-Length, written in pieces.
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length) });
          let off = 0;
          const pump = () => {
            while (off < big.length) {
              const piece = big.subarray(off, off + 256 * 1024);
              off += piece.length;
              if (!res.write(piece)) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
        } else if (p.startsWith('/chunked')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream' }); // no length: chunked
          res.write(big.subarray(0, 2 * MiB));
          setTimeout(() => res.end(big.subarray(2 * MiB, 3 * MiB)), 50);
        } else if (p.startsWith('/held')) {
          // 1.5 MiB, then nothing more until the caller has received part of it: only a streaming gateway passes.
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(2 * MiB) });
          res.write(big.subarray(0, 1.5 * MiB));
          const finish = () => res.end(big.subarray(1.5 * MiB, 2 * MiB));
          const timer = setTimeout(finish, 8000);
          release = () => {
            released = true;
            clearTimeout(timer);
            finish();
          };
        } else if (p.startsWith('/cut')) {
          res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(big.length) });
          res.write(big.subarray(0, 2 * MiB), () => setTimeout(() => res.socket?.destroy(), 50));
        } else if (p.startsWith('/upload')) {
          const h = crypto.createHash('sha256');
          let n = 0;
          req.on('data', (c: Buffer) => {
            h.update(c);
            n += c.length;
            if (n >= 1.2 * MiB && uploadSeen) {
              uploadSeen();
              uploadSeen = undefined;
            }
          });
          req.on('end', () => {
            res.writeHead(200, { 'content-type': 'application/json' });
            res.end(JSON.stringify({ bytes: n, sha256: h.digest('hex'), te: req.headers['transfer-encoding'] ?? null, cl: req.headers['content-length'] ?? null, expect: req.headers.expect ?? null }));
          });
        } else if (p.startsWith('/head')) {
          res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '100' });
          res.end(req.method === 'HEAD' ? undefined : 'x'.repeat(100));
        } else {
          res.writeHead(404);
          res.end();
        }
      }),
      'http',
    );
    const port = (u: string) => new URL(u).port;
    const endpoints = [
      { path: '/tls/*', upstream: `https://localhost:${port(tlsOrigin.url)}/api` },
      { path: '/tls-ip/*', upstream: `https://127.0.0.1:${port(tlsOrigin.url)}` },
      { path: '/wrong-name/*', upstream: `https://127.0.0.1:${port(wrongName.url)}` },
      { path: '/big/*', upstream: plain.url },
    ];
    await insertEndpoints(server(), endpoints);
    await insertEndpoints(untrusting(), [endpoints[0]!]);
    t = await newTenant(server(), 'gw-stream');
    const k = await createKey(server(), t.token, { name: 'stream', rateLimitPerMinute: 100000 });
    secret = k.secret;
    keyId = k.key.id;
    const t2 = await newTenant(untrusting(), 'gw-untrusting');
    otherSecret = (await createKey(untrusting(), t2.token, { name: 'u', rateLimitPerMinute: 100000 })).secret;
    expect(await waitRoute(server(), '/big/ready', secret)).toBeGreaterThanOrEqual(0);
    expect(await waitRoute(untrusting(), '/tls/ready', otherSecret)).toBeGreaterThanOrEqual(0);
  });

  afterAll(async () => {
    await Promise.all([tlsOrigin?.close(), wrongName?.close(), plain?.close()]);
  });

  async function usageRow(requestId: string): Promise<any> {
    const deadline = Date.now() + 10_000;
    for (;;) {
      const r = await dbQuery(server(), 'SELECT status_code, response_bytes::text AS bytes, request_bytes::text, cost::text AS cost FROM usage_events WHERE request_id = $1', [requestId]);
      if (r.rows.length > 0 || Date.now() > deadline) {
        expect(r.rows.length, `one usage row for ${requestId}`).toBe(1);
        return r.rows[0];
      }
      await sleep(200);
    }
  }

  describe('https upstreams', () => {
    it('200: verified by host name (and by IP), the base path kept, the connection pooled', async () => {
      const before = tlsOrigin.connections();
      for (let i = 0; i < 3; i++) {
        const r = await gw(server(), 'GET', `/tls/items/${i}?q=1`, { key: secret });
        expectGwOk(r);
        expect(r.json).toEqual({ tls: true, path: `/api/tls/items/${i}?q=1` });
      }
      // Pools are per I/O thread (2 here): at most one TLS handshake per thread for the three calls.
      expect(tlsOrigin.connections() - before, 'TLS connections reused').toBeLessThanOrEqual(2);
      const ip = await gw(server(), 'GET', '/tls-ip/x', { key: secret });
      expectGwOk(ip);
      expect(ip.json).toEqual({ tls: true, path: '/tls-ip/x' });
    });

    it('502 UPSTREAM_UNAVAILABLE: a certificate for another host name', async () => {
      const r = await gw(server(), 'GET', '/wrong-name/x', { key: secret });
      expectGwProblem(r, 502, 'UPSTREAM_UNAVAILABLE');
      expect(server().logs()).toMatch(/TLS handshake failed|certificate/i);
    });

    it('502 UPSTREAM_UNAVAILABLE: a certificate from a CA the server does not trust (no UPSTREAM_CA_FILE)', async () => {
      const r = await gw(untrusting(), 'GET', '/tls/x', { key: otherSecret });
      expectGwProblem(r, 502, 'UPSTREAM_UNAVAILABLE');
    });
  });

  describe('streamed answers', () => {
    it('200: 5 MiB with a Content-Length arrive whole, with that length, metered once with those bytes', async () => {
      const r = await stream(server().baseUrl, '/big/sized', secret);
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(200);
      expect(r.headers['content-length']).toBe(String(big.length));
      expect(r.headers['transfer-encoding']).toBeUndefined();
      expect(r.complete).toBe(true);
      expect(crypto.createHash('sha256').update(r.body).digest('hex')).toBe(crypto.createHash('sha256').update(big).digest('hex'));
      const row = await usageRow(String(r.headers['x-request-id']));
      expect(row).toEqual({ status_code: 200, bytes: String(big.length), request_bytes: '0', cost: '1' });
    });

    it('200: a chunked answer of unknown length is passed on chunked', async () => {
      const r = await stream(server().baseUrl, '/big/chunked', secret);
      expect(r.status).toBe(200);
      expect(r.headers['transfer-encoding']).toBe('chunked');
      expect(r.complete).toBe(true);
      expect(r.body.equals(big.subarray(0, 3 * MiB))).toBe(true);
      const row = await usageRow(String(r.headers['x-request-id']));
      // Metered before it was written: the part read by then (the 1 MiB buffer).
      expect(Number(row.bytes)).toBeGreaterThanOrEqual(MiB);
    });

    it('200: the caller receives the first bytes while the upstream still holds the rest', async () => {
      released = false;
      const r = await stream(server().baseUrl, '/big/held', secret, (n) => {
        if (n >= 1.2 * MiB && release) {
          release();
          release = undefined;
        }
      });
      expect(released, 'the upstream finished only because the caller had already received 1.2 MiB').toBe(true);
      expect(r.complete).toBe(true);
      expect(r.body.equals(big.subarray(0, 2 * MiB))).toBe(true);
    });

    it('an upstream that stops mid-body: the caller gets an incomplete answer, never a short one passed as whole', async () => {
      const r = await stream(server().baseUrl, '/big/cut', secret);
      expect(r.status).toBe(200);
      expect(r.complete).toBe(false);
      expect(r.body.length).toBeLessThan(big.length);
      // The server goes on serving.
      expectGwOk(await gw(server(), 'GET', '/big/head', { key: secret }));
    });

    it('HEAD: the upstream\'s Content-Length without a body does not stall the answer', async () => {
      const r = await gw(server(), 'HEAD', '/big/head', { key: secret, timeoutMs: 5000 });
      expect(r.status).toBe(200);
      expect(r.text).toBe('');
    });
  });

  describe('streamed request bodies', () => {
    const body = pattern(5 * MiB, 3);
    const slices = (b: Buffer, n: number) => Array.from({ length: n }, (_, i) => b.subarray((i * b.length) / n, ((i + 1) * b.length) / n));

    it('200: 5 MiB with a Content-Length reach the upstream whole, with that length; metered with those bytes', async () => {
      const r = await upload(server().baseUrl, '/big/upload', secret, slices(body, 20), { length: body.length });
      expect(r.error).toBeUndefined();
      expect(r.status, r.text).toBe(200);
      expect(r.json).toEqual({ bytes: body.length, sha256: sha(body), te: null, cl: String(body.length), expect: null });
      const row = await usageRow(r.rid!);
      expect(row.request_bytes).toBe(String(body.length));
    });

    it('200: a chunked body of unknown length is passed on chunked', async () => {
      const part = body.subarray(0, 3 * MiB);
      const r = await upload(server().baseUrl, '/big/upload', secret, slices(part, 12));
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ bytes: part.length, sha256: sha(part), te: 'chunked', cl: null });
    });

    it('200: the upstream receives the first bytes while the caller is still sending', async () => {
      let seen = false;
      const upstreamHasSome = new Promise<void>((resolve) => {
        uploadSeen = () => {
          seen = true;
          resolve();
        };
        setTimeout(resolve, 8000);
      });
      const part = body.subarray(0, 2 * MiB);
      const r = await upload(server().baseUrl, '/big/upload', secret, [part.subarray(0, 1.5 * MiB), part.subarray(1.5 * MiB)], {
        length: part.length,
        beforeLast: upstreamHasSome,
      });
      expect(seen, 'the upstream had 1.2 MiB before the caller sent the rest').toBe(true);
      expect(r.json).toMatchObject({ bytes: part.length, sha256: sha(part) });
    });

    it('200: Expect: 100-continue is answered by the gateway and not passed upstream', async () => {
      const part = body.subarray(0, 2 * MiB);
      const r = await upload(server().baseUrl, '/big/upload', secret, slices(part, 4), { length: part.length, expectContinue: true });
      expect(r.continued).toBe(true);
      expect(r.status, r.text).toBe(200);
      expect(r.json).toMatchObject({ bytes: part.length, expect: null });
    });

    it('413 PAYLOAD_TOO_LARGE: a declared length above GATEWAY_BODY_LIMIT (8 MiB here), before anything is proxied', async () => {
      const r = await upload(server().baseUrl, '/big/upload', secret, [Buffer.alloc(1024)], { length: 9 * MiB, expectContinue: true });
      expect(r.status).toBe(413);
      expect(r.json.code).toBe('PAYLOAD_TOO_LARGE');
      expect(r.continued).toBe(false);
    });

    it('413 PAYLOAD_TOO_LARGE: a chunked body that grows past the limit', async () => {
      const r = await upload(server().baseUrl, '/big/upload', secret, slices(pattern(9 * MiB, 1), 36));
      // Either the 413 arrives or, if the client was still writing when the gateway closed, the connection ends.
      if (r.status !== 0) {
        expect(r.status).toBe(413);
        expect(r.json.code).toBe('PAYLOAD_TOO_LARGE');
      }
      expectGwOk(await gw(server(), 'GET', '/big/head', { key: secret }));
    });

    it('401: a large body without a key is refused and the caller still reads the answer', async () => {
      const r = await upload(server().baseUrl, '/big/upload', undefined, slices(body.subarray(0, 3 * MiB), 6), { length: 3 * MiB });
      expect(r.error).toBeUndefined();
      expect(r.status).toBe(401);
      expect(r.json.code).toBe('API_KEY_REQUIRED');
    });

    it('200: through internal://echo a large body is read and counted, not shown', async () => {
      const r = await upload(server().baseUrl, '/echo/big', secret, slices(body.subarray(0, 2 * MiB), 4), { length: 2 * MiB });
      expect(r.status, r.text).toBe(200);
      expect(r.json.body).toBe(`<${2 * MiB} bytes, streamed>`);
    });
  });

  it('every call above is billed to the key: no streamed call is metered twice', async () => {
    const r = await dbQuery(server(), "SELECT request_id, count(*)::int AS n FROM usage_events WHERE api_key_id = $1 GROUP BY request_id HAVING count(*) > 1", [keyId]);
    expect(r.rows).toEqual([]);
  });
});
