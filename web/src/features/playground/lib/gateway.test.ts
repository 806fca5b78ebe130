import { describe, expect, it } from 'vitest';
import {
  deprecationOf,
  describeHeaders,
  describeResponse,
  keyError,
  maskKey,
  parseBody,
  pathError,
  problemOf,
  rateLimitOf,
  reasonPhrase,
  requestPath,
} from './gateway';

describe('pathError / requestPath', () => {
  it('accepts /gw/echo and anything below it, with a query', () => {
    for (const p of ['/gw/echo', '/gw/echo/', '/gw/echo/a/b', '/gw/echo?x=1', ' /gw/echo/hello?a=1&b=2 ']) {
      expect(pathError(p), p).toBeUndefined();
    }
    expect(requestPath(' /gw/echo/hello?a=1 ')).toBe('/gw/echo/hello?a=1');
    expect(requestPath('/gw/echo/a/./b')).toBe('/gw/echo/a/b');
  });

  it('refuses other paths, including ones that only start like /gw/echo or climb out of it', () => {
    for (const p of [
      '',
      'gw/echo',
      '/gw/echoes',
      '/gw/other',
      '/api/user/profile',
      '/gw/echo/../../api/user/profile',
      '/gw/echo/%2e%2e/%2e%2e/api/user/profile',
      '//evil.example/gw/echo',
      '/gw/echo\\..\\..\\api',
      '/gw/echo #x',
      '/gw/echo#frag',
    ]) {
      expect(pathError(p), p).toBeDefined();
    }
  });
});

describe('keyError / parseBody / maskKey', () => {
  it('needs a printable key without spaces', () => {
    expect(keyError('')).toMatch(/Paste an API key/);
    expect(keyError('tg_live_abc def')).toBeDefined();
    expect(keyError('tg_live_é')).toBeDefined();
    expect(keyError('  tg_live_abcdef  ')).toBeUndefined();
  });

  it('takes an empty body or any JSON value', () => {
    expect(parseBody('  ')).toEqual({ ok: true, value: undefined });
    expect(parseBody(' {"a": 1} ')).toEqual({ ok: true, value: '{"a": 1}' });
    expect(parseBody('[1,2]')).toEqual({ ok: true, value: '[1,2]' });
    expect(parseBody('{a: 1}')).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    expect(parseBody(JSON.stringify('x'.repeat(70_000)))).toMatchObject({ ok: false, error: expect.stringContaining('64 KiB') });
  });

  it('masks a key to its start and end', () => {
    expect(maskKey('tg_live_3xAmPlE0kEy1234567890abcdefghijklmnopqrstuvw0AbCdE')).toBe('tg_live_3xAm…bCdE');
    expect(maskKey('short')).toBe('shor…');
  });
});

describe('headers', () => {
  const headers = describeHeaders([
    ['content-type', 'application/json'],
    ['X-Request-ID', 'req-1'],
    ['ratelimit-remaining', '59'],
    ['ratelimit-limit', '60'],
    ['ratelimit-reset', '42'],
    ['deprecation', 'true'],
    ['sunset', 'Wed, 01 Jan 2031 00:00:00 GMT'],
    ['cache-control', 'no-store'],
  ]);

  it('highlights rate-limit, rotation and request-id headers and lists them first', () => {
    expect(headers.map((h) => h.name)).toEqual([
      'deprecation',
      'ratelimit-limit',
      'ratelimit-remaining',
      'ratelimit-reset',
      'sunset',
      'x-request-id',
      'cache-control',
      'content-type',
    ]);
    expect(headers.filter((h) => h.note).map((h) => h.note)).toEqual([
      'Rotated key',
      'Rate limit',
      'Rate limit',
      'Rate limit',
      'Key stops working',
      'Request ID',
    ]);
  });

  it('reads the rate limit and the deprecation', () => {
    expect(rateLimitOf(headers)).toEqual({ limit: 60, remaining: 59, reset: 42 });
    expect(rateLimitOf(describeHeaders([['content-type', 'text/plain']]))).toBeUndefined();
    expect(rateLimitOf(describeHeaders([['x-ratelimit-limit', '10'], ['x-ratelimit-remaining', '0']]))).toEqual({
      limit: 10,
      remaining: 0,
      reset: undefined,
    });
    expect(deprecationOf(headers)).toEqual({ sunset: 'Wed, 01 Jan 2031 00:00:00 GMT', sunsetDate: new Date(Date.UTC(2031, 0, 1)) });
    expect(deprecationOf(describeHeaders([]))).toBeUndefined();
  });
});

describe('problemOf / describeResponse', () => {
  const revoked = {
    type: '/docs/problems#API_KEY_REVOKED',
    title: 'Authentication required',
    status: 401,
    code: 'API_KEY_REVOKED',
    detail: 'The API key was revoked.',
    requestId: 'r-1',
  };

  it('recognises a problem document, and only on an error or when declared', () => {
    expect(problemOf(401, 'application/problem+json', revoked)).toEqual({
      status: 401,
      code: 'API_KEY_REVOKED',
      title: 'Authentication required',
      detail: 'The API key was revoked.',
      requestId: 'r-1',
    });
    expect(problemOf(401, 'application/json', revoked)?.code).toBe('API_KEY_REVOKED');
    // An echo of a body that happens to look like a problem is not a refusal.
    expect(problemOf(200, 'application/json', revoked)).toBeUndefined();
    expect(problemOf(500, 'text/plain', 'oops')).toBeUndefined();
  });

  it('pretty-prints JSON bodies and keeps others as they are', () => {
    const json = describeResponse({
      status: 200,
      statusText: '',
      headers: [['content-type', 'application/json'], ['x-request-id', 'abc']],
      text: '{"method":"GET","path":"/echo/hello"}',
      durationMs: 3,
    });
    expect(json.body).toBe('{\n  "method": "GET",\n  "path": "/echo/hello"\n}');
    expect(json.isJson).toBe(true);
    expect(json.problem).toBeUndefined();
    expect(json.requestId).toBe('abc');

    const text = describeResponse({ status: 502, statusText: 'Bad Gateway', headers: [], text: '<html>', durationMs: 1 });
    expect(text.body).toBe('<html>');
    expect(text.isJson).toBe(false);

    const refused = describeResponse({
      status: 401,
      statusText: '',
      headers: [['content-type', 'application/problem+json']],
      text: JSON.stringify({ ...revoked, requestId: undefined }),
      durationMs: 1,
    });
    expect(refused.problem?.code).toBe('API_KEY_REVOKED');
  });

  it('fills in a reason phrase where HTTP/2 has none', () => {
    expect(reasonPhrase(429, '')).toBe('Too Many Requests');
    expect(reasonPhrase(200, 'Fine')).toBe('Fine');
    expect(reasonPhrase(299, '')).toBe('');
  });
});
