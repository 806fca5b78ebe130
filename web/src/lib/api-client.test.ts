import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it } from 'vitest';
import { ApiError, createApiClient, isApiError, toApiError } from './api-client';

type Reply = { status: number; data?: unknown; headers?: Record<string, string> } | 'network' | 'timeout';

// A fake transport: resolves 2xx, rejects others the way axios' own adapters do.
function clientReplying(reply: Reply) {
  const client = createApiClient('');
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    if (reply === 'network') throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config, {});
    if (reply === 'timeout') throw new AxiosError('timeout of 15000ms exceeded', AxiosError.ECONNABORTED, config, {});
    const response: AxiosResponse = {
      status: reply.status,
      statusText: '',
      data: reply.data,
      headers: new AxiosHeaders(reply.headers ?? {}),
      config,
    };
    const ok = config.validateStatus ? config.validateStatus(reply.status) : reply.status < 300;
    if (!ok) {
      throw new AxiosError(`Request failed with status code ${reply.status}`, AxiosError.ERR_BAD_RESPONSE, config, {}, response);
    }
    return response;
  };
  client.defaults.adapter = adapter;
  return client;
}

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    expect(isApiError(err)).toBe(true);
    return err as ApiError;
  }
  throw new Error('expected the request to fail');
}

describe('api client', () => {
  it('resolves successful responses untouched', async () => {
    const client = clientReplying({ status: 200, data: { status: 'ok' } });
    await expect(client.get('/healthz')).resolves.toMatchObject({ status: 200, data: { status: 'ok' } });
  });

  it('turns an RFC 9457 problem document into a typed ApiError', async () => {
    const client = clientReplying({
      status: 422,
      headers: { 'content-type': 'application/problem+json' },
      data: {
        type: 'about:blank',
        title: 'Validation failed',
        status: 422,
        detail: 'message is required',
        code: 'VALIDATION_FAILED',
        requestId: 'req_123',
        errors: [{ field: 'message', message: 'must not be empty' }],
      },
    });
    const err = await rejection(client.post('/api/client-errors', {}));
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({
      status: 422,
      code: 'VALIDATION_FAILED',
      title: 'Validation failed',
      detail: 'message is required',
      requestId: 'req_123',
      errors: [{ field: 'message', message: 'must not be empty' }],
    });
    expect(err.isNetworkError).toBe(false);
  });

  it('parses a problem body delivered as a string', async () => {
    const client = clientReplying({
      status: 429,
      headers: { 'content-type': 'application/problem+json; charset=utf-8' },
      data: JSON.stringify({ type: 'about:blank', title: 'Too many requests', status: 429, code: 'RATE_LIMITED', requestId: 'r1' }),
    });
    const err = await rejection(client.get('/api/version'));
    expect(err).toMatchObject({ status: 429, code: 'RATE_LIMITED', requestId: 'r1', errors: [] });
  });

  it('falls back sensibly for a non-problem error body', async () => {
    const client = clientReplying({
      status: 502,
      headers: { 'content-type': 'text/html', 'x-request-id': 'hdr-9' },
      data: '<html>Bad gateway</html>',
    });
    const err = await rejection(client.get('/api/version'));
    expect(err).toMatchObject({ status: 502, code: 'HTTP_502', title: 'Server error', requestId: 'hdr-9', errors: [] });
  });

  it('reports network failures with status 0', async () => {
    const err = await rejection(clientReplying('network').get('/readyz'));
    expect(err).toMatchObject({ status: 0, code: 'NETWORK_ERROR', title: 'Cannot reach the server' });
    expect(err.isNetworkError).toBe(true);
  });

  it('reports timeouts distinctly', async () => {
    const err = await rejection(clientReplying('timeout').get('/readyz'));
    expect(err).toMatchObject({ status: 0, code: 'TIMEOUT' });
  });

  it('honours validateStatus so 503 readiness bodies are answers, not errors', async () => {
    const client = clientReplying({ status: 503, data: { status: 'not_ready', checks: {} } });
    const res = await client.get('/readyz', { validateStatus: (s) => s === 200 || s === 503 });
    expect(res.status).toBe(503);
  });

  it('wraps arbitrary thrown values', () => {
    expect(toApiError(new Error('boom'))).toMatchObject({ status: 0, code: 'UNKNOWN', detail: 'boom' });
    const existing = new ApiError({ status: 404, code: 'NOT_FOUND', title: 'Not found' });
    expect(toApiError(existing)).toBe(existing);
  });
});
