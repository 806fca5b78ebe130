// What the API playground sends to the gateway and how it reads the answer. Pure functions, unit-tested.

/** The playground only calls the built-in echo upstream: every call is metered like real traffic. */
export const ECHO_PREFIX = '/gw/echo';
export const DEFAULT_PATH = '/gw/echo/hello?source=playground';
export const BODY_MAX_BYTES = 64 * 1024;

export const METHODS = ['GET', 'POST'] as const;
export type PlaygroundMethod = (typeof METHODS)[number];

const ORIGIN = 'http://playground.invalid';

/**
 * `undefined` when `path` is a path (with an optional query) at or below /gw/echo once normalised, so that
 * `/gw/echo/../../api/…` cannot reach anything else; otherwise why not.
 */
export function pathError(path: string): string | undefined {
  const p = path.trim();
  if (!p) return `Enter a path under ${ECHO_PREFIX}, e.g. ${ECHO_PREFIX}/hello.`;
  if (!p.startsWith('/') || p.startsWith('//') || /[\s\\#]/.test(p)) {
    return `Enter a path starting with ${ECHO_PREFIX}, without spaces, backslashes or #.`;
  }
  let url: URL;
  try {
    url = new URL(p, ORIGIN);
  } catch {
    return 'This is not a valid path.';
  }
  if (url.origin !== ORIGIN) return `Enter a path starting with ${ECHO_PREFIX}.`;
  if (url.pathname !== ECHO_PREFIX && !url.pathname.startsWith(`${ECHO_PREFIX}/`)) {
    return `The playground calls the echo endpoint only: the path must start with ${ECHO_PREFIX}.`;
  }
  return undefined;
}

/** The path as it will be requested (normalised, query kept). Only call it when `pathError` is undefined. */
export function requestPath(path: string): string {
  const url = new URL(path.trim(), ORIGIN);
  return `${url.pathname}${url.search}`;
}

/** A key goes into a header: it must be there and be printable ASCII without spaces. */
export function keyError(key: string): string | undefined {
  const k = key.trim();
  if (!k) return 'Paste an API key (tg_live_… or tg_test_…). Create one on the API keys page.';
  if (!/^[\x21-\x7e]+$/.test(k)) return 'An API key has no spaces or special characters; paste it again.';
  return undefined;
}

export type BodyResult = { ok: true; value: string | undefined } | { ok: false; error: string };

/** Empty → no body. Otherwise any JSON value, at most 64 KiB; sent as typed. */
export function parseBody(text: string): BodyResult {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  try {
    JSON.parse(t);
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message : 'invalid JSON';
    return { ok: false, error: `The body is not valid JSON (${reason}).` };
  }
  if (new TextEncoder().encode(t).length > BODY_MAX_BYTES) return { ok: false, error: 'Keep the body under 64 KiB.' };
  return { ok: true, value: t };
}

/** `tg_live_3xAm…wxyz`: enough to recognise a key on screen without showing it whole. */
export function maskKey(key: string): string {
  const k = key.trim();
  if (k.length <= 16) return `${k.slice(0, 4)}…`;
  return `${k.slice(0, 12)}…${k.slice(-4)}`;
}

export interface ResponseHeader {
  /** Lower case, as the Fetch API reports it. */
  name: string;
  value: string;
  /** Why the header is worth a look, when it is. */
  note: string | undefined;
}

/** The headers a caller of the gateway should read: limits, rotation and the request id. */
export function headerNote(name: string): string | undefined {
  const n = name.toLowerCase();
  if (n.startsWith('ratelimit') || n.startsWith('x-ratelimit-')) return 'Rate limit';
  if (n === 'retry-after') return 'Retry';
  if (n === 'deprecation') return 'Rotated key';
  if (n === 'sunset') return 'Key stops working';
  if (n === 'x-request-id') return 'Request ID';
  return undefined;
}

/** Highlighted headers first (in a stable order), then the rest alphabetically. */
export function describeHeaders(entries: Iterable<[string, string]>): ResponseHeader[] {
  const list = Array.from(entries, ([name, value]) => ({ name: name.toLowerCase(), value, note: headerNote(name) }));
  return list.sort((a, b) => {
    if (!!a.note !== !!b.note) return a.note ? -1 : 1;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

function header(headers: readonly ResponseHeader[], name: string): string | undefined {
  return headers.find((h) => h.name === name)?.value;
}

export interface RateLimitView {
  limit: number;
  remaining: number;
  /** Seconds until the window resets. */
  reset: number | undefined;
}

export function rateLimitOf(headers: readonly ResponseHeader[]): RateLimitView | undefined {
  const limitText = header(headers, 'ratelimit-limit') ?? header(headers, 'x-ratelimit-limit');
  const remainingText = header(headers, 'ratelimit-remaining') ?? header(headers, 'x-ratelimit-remaining');
  if (limitText === undefined || remainingText === undefined) return undefined;
  const limit = Number(limitText);
  const remaining = Number(remainingText);
  if (!Number.isFinite(limit) || !Number.isFinite(remaining)) return undefined;
  const resetText = header(headers, 'ratelimit-reset');
  const reset = resetText === undefined ? Number.NaN : Number(resetText);
  return { limit, remaining, reset: Number.isFinite(reset) ? reset : undefined };
}

export interface DeprecationView {
  /** The Sunset date as sent (an HTTP date), and parsed when it parses. */
  sunset: string | undefined;
  sunsetDate: Date | undefined;
}

/** Present when the key used is a rotated one in its grace period. */
export function deprecationOf(headers: readonly ResponseHeader[]): DeprecationView | undefined {
  const deprecation = header(headers, 'deprecation');
  const sunset = header(headers, 'sunset');
  if (deprecation === undefined && sunset === undefined) return undefined;
  const parsed = sunset ? new Date(sunset) : undefined;
  return { sunset, sunsetDate: parsed && !Number.isNaN(parsed.getTime()) ? parsed : undefined };
}

export interface GatewayProblem {
  status: number;
  code: string;
  title: string;
  detail: string | undefined;
  requestId: string | undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

/** An RFC 9457 refusal, read from a problem+json body (or anything shaped like one on an error status). */
export function problemOf(status: number, contentType: string, json: unknown, requestId?: string): GatewayProblem | undefined {
  if (!isRecord(json)) return undefined;
  const declared = contentType.toLowerCase().includes('application/problem+json');
  if (!declared && !(status >= 400 && typeof json.code === 'string' && typeof json.title === 'string')) return undefined;
  return {
    status: typeof json.status === 'number' ? json.status : status,
    code: str(json.code) ?? `HTTP_${status}`,
    title: str(json.title) ?? 'Request refused',
    detail: str(json.detail),
    requestId: str(json.requestId) ?? requestId,
  };
}

/** What to do about a gateway refusal, in one sentence. */
export function problemHint(code: string): string | undefined {
  switch (code) {
    case 'API_KEY_REQUIRED':
      return 'Send the key in X-API-Key (or Authorization: Bearer).';
    case 'INVALID_API_KEY':
      return 'This is not a key of this Tollgate: check that it was pasted whole, or create a new one.';
    case 'API_KEY_REVOKED':
      return 'Revoked keys never work again (a rotated key is revoked when its grace period ends). Use a current key.';
    case 'API_KEY_EXPIRED':
      return 'The key passed its expiry date. Rotate it or create a new key.';
    case 'API_KEY_DISABLED':
      return 'Enable the key on the API keys page, or use another one.';
    case 'PAYMENT_REQUIRED':
      return 'The account has an unpaid invoice; update the payment method.';
    case 'RATE_LIMITED':
      return 'Wait for Retry-After seconds; the RateLimit headers show the window.';
    case 'USAGE_EXCEEDED':
      return "The plan's quota for this period is used up; wait for the next period or upgrade.";
    case 'ENDPOINT_NOT_FOUND':
      return 'No API endpoint matches this method and path.';
    case 'UPSTREAM_UNAVAILABLE':
    case 'BAD_GATEWAY':
      return 'The upstream could not be reached; try again later.';
    case 'UPSTREAM_TIMEOUT':
      return 'The upstream did not answer in time; try again later.';
    default:
      return undefined;
  }
}

export interface GatewayResponse {
  status: number;
  statusText: string;
  headers: ResponseHeader[];
  contentType: string;
  /** The body as text, pretty-printed when it is JSON. */
  body: string;
  isJson: boolean;
  problem: GatewayProblem | undefined;
  rateLimit: RateLimitView | undefined;
  deprecation: DeprecationView | undefined;
  requestId: string | undefined;
  durationMs: number;
}

/** Everything the playground shows about an answer, from its raw parts. */
export function describeResponse(init: {
  status: number;
  statusText: string;
  headers: Iterable<[string, string]>;
  text: string;
  durationMs: number;
}): GatewayResponse {
  const headers = describeHeaders(init.headers);
  const contentType = header(headers, 'content-type') ?? '';
  let json: unknown;
  let isJson = false;
  if (init.text.trim()) {
    try {
      json = JSON.parse(init.text);
      isJson = true;
    } catch {
      isJson = false;
    }
  }
  const requestId = header(headers, 'x-request-id');
  return {
    status: init.status,
    statusText: init.statusText,
    headers,
    contentType,
    body: isJson ? JSON.stringify(json, null, 2) : init.text,
    isJson,
    problem: problemOf(init.status, contentType, json, requestId),
    rateLimit: rateLimitOf(headers),
    deprecation: deprecationOf(headers),
    requestId,
    durationMs: init.durationMs,
  };
}

const REASONS: Record<number, string> = {
  200: 'OK',
  201: 'Created',
  204: 'No Content',
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** HTTP/2 has no reason phrases: fall back to the standard one. */
export function reasonPhrase(status: number, statusText: string): string {
  return statusText || REASONS[status] || '';
}
