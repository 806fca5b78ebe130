import type { ApiEndpoint, ApiEndpointInput, ApiEndpointUpdate } from '@/types';

// Client-side checks mirroring src/admin/catalog_rules.cpp (the server stays the authority, e.g. for an upstream
// that points back at this Tollgate).

export const METHODS = ['*', 'GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] as const;
export type Method = (typeof METHODS)[number];

export const ENDPOINT_FIELDS = [
  'method',
  'pathPattern',
  'upstreamUrl',
  'description',
  'cost',
  'rateLimitPerMinute',
  'timeoutMs',
  'isPublic',
  'enabled',
] as const;
export type EndpointField = (typeof ENDPOINT_FIELDS)[number];

export const LIMITS = {
  pathMax: 512,
  upstreamMax: 2048,
  descriptionMax: 500,
  costMax: 1_000_000,
  rateMax: 1_000_000,
  timeoutMax: 600_000,
} as const;

/** The form's values: numbers as typed. */
export interface EndpointFormValues {
  method: Method;
  pathPattern: string;
  upstreamUrl: string;
  description: string;
  cost: string;
  /** Empty: no limit of its own (the key's limit only). */
  rateLimitPerMinute: string;
  timeoutMs: string;
  isPublic: boolean;
  enabled: boolean;
}

/** The server's defaults for a new endpoint. */
export const NEW_ENDPOINT: EndpointFormValues = {
  method: '*',
  pathPattern: '',
  upstreamUrl: '',
  description: '',
  cost: '1',
  rateLimitPerMinute: '',
  timeoutMs: '30000',
  isPublic: false,
  enabled: true,
};

export function valuesFromEndpoint(e: ApiEndpoint): EndpointFormValues {
  return {
    method: e.method,
    pathPattern: e.pathPattern,
    upstreamUrl: e.upstreamUrl,
    description: e.description,
    cost: String(e.cost),
    rateLimitPerMinute: e.rateLimitPerMinute === null ? '' : String(e.rateLimitPerMinute),
    timeoutMs: String(e.timeoutMs),
    isPublic: e.isPublic,
    enabled: e.enabled,
  };
}

const SEGMENT = /^[A-Za-z0-9\-._~%]+$/;
const PARAM = /^\{[A-Za-z0-9_]+\}$/;

/** Why a path pattern is refused, or undefined. */
export function pathPatternError(pattern: string): string | undefined {
  if (!pattern) return 'Enter the path below /gw, e.g. /weather/{city}.';
  if (!pattern.startsWith('/')) return 'Start the path with /.';
  if (pattern.length > LIMITS.pathMax) return `Use at most ${LIMITS.pathMax} characters.`;
  if (pattern === '/') return undefined;
  const segments = pattern.slice(1).split('/');
  for (let i = 0; i < segments.length; i++) {
    const seg = segments[i] ?? '';
    const last = i === segments.length - 1;
    if (seg === '') {
      if (!last) return 'Remove the empty segment (//).';
    } else if (seg === '*') {
      if (!last) return 'Use * only as the last segment.';
    } else if (seg.startsWith('{')) {
      if (!PARAM.test(seg)) return 'Write parameters as {name}, of letters, digits and _, one whole segment each.';
    } else if (seg === '.' || seg === '..') {
      return 'Remove the . or .. segment.';
    } else if (!SEGMENT.test(seg)) {
      return 'Use only letters, digits, -._~ and %-escapes in segments, {name} for a parameter and * at the end.';
    }
  }
  return undefined;
}

/** Why an upstream URL is refused, or undefined (whether it loops back to this Tollgate is for the server to say). */
export function upstreamError(url: string): string | undefined {
  if (!url) return 'Enter where calls go, e.g. https://api.example.com/v2, or internal://echo.';
  if (url.length > LIMITS.upstreamMax) return `Use at most ${LIMITS.upstreamMax} characters.`;
  if (url === 'internal://echo') return undefined;
  if (/[?#]/.test(url)) return 'Remove the query or fragment: the caller’s query string is forwarded.';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return 'Enter an http:// or https:// URL, or internal://echo.';
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return 'Use http:// or https://, or internal://echo.';
  if (parsed.username || parsed.password) return 'Remove the credentials from the URL.';
  return undefined;
}

type IntResult = { ok: true; value: number | null } | { ok: false; error: string };

function parseWhole(text: string, min: number, max: number, optional = false): IntResult {
  const t = text.trim().replace(/[\s_,]/g, '');
  const range = `Enter a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}${optional ? ', or leave it empty' : ''}.`;
  if (!t) return optional ? { ok: true, value: null } : { ok: false, error: range };
  if (!/^\d+$/.test(t)) return { ok: false, error: range };
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < min || n > max) return { ok: false, error: range };
  return { ok: true, value: n };
}

export type ParsedEndpoint = Required<Omit<ApiEndpointInput, 'rateLimitPerMinute'>> & { rateLimitPerMinute: number | null };

export type ParseResult = { ok: true; endpoint: ParsedEndpoint } | { ok: false; errors: Partial<Record<EndpointField, string>> };

export function parseEndpointForm(values: EndpointFormValues): ParseResult {
  const errors: Partial<Record<EndpointField, string>> = {};
  const pathPattern = values.pathPattern.trim();
  const upstreamUrl = values.upstreamUrl.trim();
  const description = values.description.trim();
  const path = pathPatternError(pathPattern);
  if (path) errors.pathPattern = path;
  const upstream = upstreamError(upstreamUrl);
  if (upstream) errors.upstreamUrl = upstream;
  if (description.length > LIMITS.descriptionMax) errors.description = `Use at most ${LIMITS.descriptionMax} characters.`;
  const cost = parseWhole(values.cost, 0, LIMITS.costMax);
  if (!cost.ok) errors.cost = cost.error;
  const rate = parseWhole(values.rateLimitPerMinute, 1, LIMITS.rateMax, true);
  if (!rate.ok) errors.rateLimitPerMinute = rate.error;
  const timeout = parseWhole(values.timeoutMs, 1, LIMITS.timeoutMax);
  if (!timeout.ok) errors.timeoutMs = timeout.error;
  if (!cost.ok || !rate.ok || !timeout.ok || Object.keys(errors).length > 0) return { ok: false, errors };
  return {
    ok: true,
    endpoint: {
      method: values.method,
      pathPattern,
      upstreamUrl,
      description,
      cost: cost.value ?? 0,
      rateLimitPerMinute: rate.value,
      timeoutMs: timeout.value ?? 30_000,
      isPublic: values.isPublic,
      enabled: values.enabled,
    },
  };
}

/** The PATCH body: the fields that differ from the stored endpoint (empty: nothing changed). */
export function endpointChanges(original: ApiEndpoint, parsed: ParsedEndpoint): ApiEndpointUpdate {
  const changes: ApiEndpointUpdate = {};
  for (const key of ENDPOINT_FIELDS) {
    if (parsed[key] !== original[key]) (changes as Record<string, unknown>)[key] = parsed[key];
  }
  return changes;
}
