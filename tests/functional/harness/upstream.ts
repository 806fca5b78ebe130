/**
 * A stand-in upstream for the gateway tests: a node:http server on a free loopback port that records every
 * request (method, raw target, headers as sent, body bytes, which TCP connection carried it) and answers as told
 * per path prefix: a chosen status/headers/body, after a delay, or by closing the socket without answering.
 */
import http from 'node:http';
import type net from 'node:net';

export interface UpstreamRequest {
  method: string;
  /** The request target as received (path + query, not decoded). */
  url: string;
  path: string;
  /** The raw query string without '?', '' when none. */
  query: string;
  /** Header names lower-cased; repeated headers joined by node's rules. */
  headers: http.IncomingHttpHeaders;
  /** [name, value, name, value, …] exactly as sent (original case, repeats kept). */
  rawHeaders: string[];
  body: Buffer;
  /** 1-based id of the TCP connection that carried the request. */
  connection: number;
  at: number;
}

export interface UpstreamReply {
  status?: number;
  headers?: Record<string, string | string[]>;
  body?: string | Buffer;
  /** Wait this long before answering (the socket stays open). */
  delayMs?: number;
  /** Destroy the socket without answering (after the request was read). */
  close?: boolean;
}

export type UpstreamHandler = UpstreamReply | ((req: UpstreamRequest) => UpstreamReply);

export interface Upstream {
  port: number;
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Every request received so far, oldest first. */
  readonly requests: UpstreamRequest[];
  /** Requests whose path starts with `prefix`. */
  requestsTo(prefix: string): UpstreamRequest[];
  /** TCP connections accepted so far. */
  connections(): number;
  /** Answers requests whose path starts with `prefix` (the longest matching prefix wins). */
  route(prefix: string, handler: UpstreamHandler): void;
  /** Closes every idle keep-alive connection (simulates an upstream dropping pooled connections). */
  closeIdle(): void;
  /** Waits until `count` requests to `prefix` arrived (≤ timeoutMs); returns them. */
  waitRequests(prefix: string, count: number, timeoutMs?: number): Promise<UpstreamRequest[]>;
  close(): Promise<void>;
}

/** Default answer: 200 JSON `{"ok":true,"path":…}`. */
const DEFAULT_REPLY = (r: UpstreamRequest): UpstreamReply => ({
  status: 200,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ ok: true, method: r.method, path: r.path }),
});

export async function startUpstream(): Promise<Upstream> {
  const requests: UpstreamRequest[] = [];
  const routes = new Map<string, UpstreamHandler>();
  const ids = new WeakMap<net.Socket, number>();
  const sockets = new Set<net.Socket>();
  let connCount = 0;

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      const q = url.indexOf('?');
      const rec: UpstreamRequest = {
        method: req.method ?? '',
        url,
        path: q >= 0 ? url.slice(0, q) : url,
        query: q >= 0 ? url.slice(q + 1) : '',
        headers: req.headers,
        rawHeaders: req.rawHeaders,
        body: Buffer.concat(chunks),
        connection: ids.get(req.socket) ?? 0,
        at: Date.now(),
      };
      requests.push(rec);
      let best: string | undefined;
      for (const prefix of routes.keys()) {
        if (rec.path.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
      }
      const h = best !== undefined ? routes.get(best)! : DEFAULT_REPLY;
      const reply = typeof h === 'function' ? h(rec) : h;
      const answer = () => {
        if (reply.close) {
          req.socket.destroy();
          return;
        }
        if (res.destroyed || req.socket.destroyed) return;
        const body = reply.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(reply.body) ? reply.body : Buffer.from(reply.body, 'utf8');
        const headers: Record<string, string | string[]> = { ...(reply.headers ?? {}) };
        const hasLength = Object.keys(headers).some((k) => k.toLowerCase() === 'content-length' || k.toLowerCase() === 'transfer-encoding');
        if (!hasLength && reply.status !== 204 && reply.status !== 304) headers['content-length'] = String(body.length);
        try {
          res.writeHead(reply.status ?? 200, headers);
          res.end(reply.status === 204 || reply.status === 304 ? undefined : body);
        } catch {
          res.destroy();
        }
      };
      if (reply.delayMs && reply.delayMs > 0) setTimeout(answer, reply.delayMs);
      else answer();
    });
  });
  // Pooled gateway connections must survive between the requests of a test.
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.on('connection', (s: net.Socket) => {
    ids.set(s, ++connCount);
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => undefined);
  });
  server.on('clientError', (_e, s) => s.destroy());

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const addr = server.address() as net.AddressInfo;

  const up: Upstream = {
    port: addr.port,
    url: `http://127.0.0.1:${addr.port}`,
    requests,
    requestsTo: (prefix) => requests.filter((r) => r.path.startsWith(prefix)),
    connections: () => connCount,
    route: (prefix, handler) => {
      routes.set(prefix, handler);
    },
    closeIdle: () => server.closeIdleConnections(),
    async waitRequests(prefix, count, timeoutMs = 5000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const got = requests.filter((r) => r.path.startsWith(prefix));
        if (got.length >= count || Date.now() > deadline) return got;
        await new Promise((r) => setTimeout(r, 20));
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
  return up;
}
