import http from 'node:http';
import net from 'node:net';

export interface FetchResult {
  status: number;
  headers: Headers;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  json: any;
  contentType: string;
  ms: number;
}

/** fetch() + body read + timing. Node's fetch (undici) decompresses gzip transparently. */
export async function request(url: string, init: RequestInit & { timeoutMs?: number } = {}): Promise<FetchResult> {
  const { timeoutMs = 10_000, ...rest } = init;
  const t0 = performance.now();
  const res = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(timeoutMs), ...rest });
  const text = await res.text();
  const ms = performance.now() - t0;
  let json: any;
  try {
    json = text.length ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json, contentType: res.headers.get('content-type') ?? '', ms };
}

export interface RawHttpResult {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  ms: number;
}

/**
 * node:http request on a fresh connection (no keep-alive agent, no automatic Accept-Encoding,
 * no decompression): exactly the headers given are sent (plus Host).
 */
export function rawHttp(
  url: string,
  opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; timeoutMs?: number } = {},
): Promise<RawHttpResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), ms: performance.now() - t0 }),
      );
      res.on('error', reject);
    });
    req.setTimeout(opts.timeoutMs ?? 15_000, () => req.destroy(new Error('request timeout')));
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export interface ParsedResponse {
  statusLine: string;
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * Parses as many complete HTTP/1.1 responses as `buf` holds. `bodyless[i]` marks responses to HEAD.
 * Returns the responses and the number of bytes consumed.
 */
export function parseResponses(buf: Buffer, bodyless: boolean[] = []): { responses: ParsedResponse[]; consumed: number } {
  const responses: ParsedResponse[] = [];
  let off = 0;
  for (;;) {
    const headEnd = buf.indexOf('\r\n\r\n', off, 'latin1');
    if (headEnd < 0) break;
    const head = buf.subarray(off, headEnd).toString('latin1').split('\r\n');
    const statusLine = head[0] ?? '';
    const status = Number(statusLine.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of head.slice(1)) {
      const i = line.indexOf(':');
      if (i < 0) continue;
      const k = line.slice(0, i).trim().toLowerCase();
      const v = line.slice(i + 1).trim();
      headers[k] = headers[k] !== undefined ? `${headers[k]}, ${v}` : v;
    }
    let p = headEnd + 4;
    let body: Buffer;
    const noBody = bodyless[responses.length] === true || status === 204 || status === 304 || (status >= 100 && status < 200);
    if (noBody) {
      body = Buffer.alloc(0);
    } else if ((headers['transfer-encoding'] ?? '').toLowerCase().includes('chunked')) {
      const parts: Buffer[] = [];
      let complete = false;
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', p, 'latin1');
        if (lineEnd < 0) break;
        const size = parseInt(buf.subarray(p, lineEnd).toString('latin1').split(';')[0]!, 16);
        if (Number.isNaN(size)) throw new Error('bad chunk size');
        if (size === 0) {
          // Skip trailers up to the blank line.
          const end = buf.indexOf('\r\n\r\n', lineEnd, 'latin1');
          if (end < 0) break;
          p = end + 4;
          complete = true;
          break;
        }
        if (buf.length < lineEnd + 2 + size + 2) break;
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        p = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
      body = Buffer.concat(parts);
    } else if (headers['content-length'] !== undefined) {
      const len = Number(headers['content-length']);
      if (buf.length < p + len) break;
      body = buf.subarray(p, p + len);
      p += len;
    } else {
      // Body until close: only complete when the caller says the socket ended.
      body = buf.subarray(p);
      p = buf.length;
    }
    responses.push({ statusLine, status, headers, body });
    off = p;
  }
  return { responses, consumed: off };
}

export interface RawConnection {
  socket: net.Socket;
  /** Writes bytes (ignores EPIPE/ECONNRESET: the server may close early). */
  write(data: Buffer | string): Promise<void>;
  /** Waits until `count` complete responses have arrived in total (or the socket closes / timeout). */
  waitResponses(count: number, timeoutMs?: number, bodyless?: boolean[]): Promise<ParsedResponse[]>;
  /** All bytes received so far. */
  received(): Buffer;
  closed(): boolean;
  close(): void;
}

/** Opens a raw TCP connection to 127.0.0.1:port. */
export function rawConnect(port: number): Promise<RawConnection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1' });
    let data = Buffer.alloc(0);
    let isClosed = false;
    const waiters = new Set<() => void>();
    const notify = () => waiters.forEach((w) => w());
    socket.on('data', (d: Buffer) => {
      data = Buffer.concat([data, d]);
      notify();
    });
    socket.on('close', () => {
      isClosed = true;
      notify();
    });
    socket.on('error', () => {
      /* reported through close */
    });
    socket.once('connect', () => {
      socket.removeListener('error', reject);
      resolve(conn);
    });
    socket.once('error', reject);
    const conn: RawConnection = {
      socket,
      write: (chunk) =>
        new Promise((res) => {
          if (isClosed || socket.destroyed) return res();
          socket.write(chunk, () => res());
        }),
      waitResponses: (count, timeoutMs = 10_000, bodyless = []) =>
        new Promise((res) => {
          const check = () => {
            const parsed = parseResponses(data, bodyless).responses;
            if (parsed.length >= count || isClosed) {
              clearTimeout(timer);
              waiters.delete(check);
              res(parsed);
            }
          };
          const timer = setTimeout(() => {
            waiters.delete(check);
            res(parseResponses(data, bodyless).responses);
          }, timeoutMs);
          waiters.add(check);
          check();
        }),
      received: () => data,
      closed: () => isClosed,
      close: () => socket.destroy(),
    };
  });
}

/** Attempts a plain TCP connect; resolves 'connected' or the error code (e.g. ECONNREFUSED). */
export function tryConnect(port: number, timeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ port, host: '127.0.0.1' });
    const t = setTimeout(() => {
      s.destroy();
      resolve('TIMEOUT');
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(t);
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(t);
      resolve(e.code ?? e.message);
    });
  });
}
