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

describe('/gw/{path} https upstreams and streamed answers', () => {
  const server = useServer({ ...GW_ENV, UPSTREAM_CA_FILE: fixture('ca.pem') });
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
      const r = await dbQuery(server(), 'SELECT status_code, response_bytes::text AS bytes, cost::text AS cost FROM usage_events WHERE request_id = $1', [requestId]);
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
      expect(row).toEqual({ status_code: 200, bytes: String(big.length), cost: '1' });
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

  it('every call above is billed to the key: no streamed call is metered twice', async () => {
    const r = await dbQuery(server(), "SELECT request_id, count(*)::int AS n FROM usage_events WHERE api_key_id = $1 GROUP BY request_id HAVING count(*) > 1", [keyId]);
    expect(r.rows).toEqual([]);
  });
});
