import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { describe, expect, it, vi } from 'vitest';
import type { AuthResult, User } from '@/types';
import { createSessionClient, isApiError, type SessionHooks } from './api-client';

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  data: unknown;
  withCredentials: boolean | undefined;
}

type Reply = { status: number; data?: unknown } | 'network';
type Handler = (req: Seen) => Reply | Promise<Reply>;

const USER: User = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'ada@example.com',
  role: 'USER',
  status: 'active',
  emailVerified: true,
  twoFactorEnabled: false,
  createdAt: '2025-01-01T00:00:00Z',
};

function authResult(accessToken: string): AuthResult {
  return { user: USER, accessToken, tokenType: 'Bearer', expiresIn: 900, refreshToken: 'r' };
}

const unauthorized: Reply = {
  status: 401,
  data: { type: '/docs/problems#UNAUTHORIZED', title: 'Authentication required', status: 401, code: 'UNAUTHORIZED', requestId: 'x' },
};

/** A session client over a fake transport, with hooks backed by a plain variable (the app uses the store). */
function setup(handler: Handler, initialToken: string | null = 'old') {
  let token = initialToken;
  const hooks: SessionHooks = {
    getAccessToken: () => token,
    onRefreshed: vi.fn((result: AuthResult) => {
      token = result.accessToken;
    }),
    onSessionExpired: vi.fn(() => {
      token = null;
    }),
  };
  const { client, refresh } = createSessionClient(hooks, '');
  const seen: Seen[] = [];
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    const req: Seen = {
      method: (config.method ?? 'get').toUpperCase(),
      url: config.url ?? '',
      authorization: config.headers.get('Authorization')?.toString(),
      data: config.data,
      withCredentials: config.withCredentials,
    };
    seen.push(req);
    const reply = await handler(req);
    if (reply === 'network') throw new AxiosError('Network Error', AxiosError.ERR_NETWORK, config, {});
    const response: AxiosResponse = {
      status: reply.status,
      statusText: '',
      data: reply.data,
      headers: new AxiosHeaders({ 'content-type': reply.status >= 400 ? 'application/problem+json' : 'application/json' }),
      config,
    };
    if (reply.status >= 300) {
      throw new AxiosError(`Request failed with status code ${reply.status}`, AxiosError.ERR_BAD_REQUEST, config, {}, response);
    }
    return response;
  };
  client.defaults.adapter = adapter;
  return { client, refresh, hooks, seen, token: () => token };
}

const isRefresh = (r: Seen) => r.url === '/api/auth/refresh';

/** The protected endpoint accepts only the "new" token; refresh hands it out. */
function server(refreshReply: () => Reply | Promise<Reply> = () => ({ status: 200, data: authResult('new') })): Handler {
  return (req) => {
    if (isRefresh(req)) return refreshReply();
    return req.authorization === 'Bearer new' ? { status: 200, data: { ok: req.url } } : unauthorized;
  };
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

describe('session client', () => {
  it('sends the in-memory access token as a Bearer token, with credentials', async () => {
    const { client, seen } = setup(() => ({ status: 200, data: {} }), 'tok');
    await client.get('/api/user/profile');
    expect(seen[0]).toMatchObject({ authorization: 'Bearer tok', withCredentials: true });
  });

  it('refreshes once on a 401 and retries the request with the new token', async () => {
    const { client, seen, hooks, token } = setup(server());
    const response = await client.get('/api/user/profile');
    expect(response.data).toEqual({ ok: '/api/user/profile' });
    expect(seen.map((r) => `${r.method} ${r.url} ${r.authorization ?? '-'}`)).toEqual([
      'GET /api/user/profile Bearer old',
      'POST /api/auth/refresh -',
      'GET /api/user/profile Bearer new',
    ]);
    // The refresh token travels in the cookie: no body.
    expect(seen[1]?.data).toBeUndefined();
    expect(hooks.onRefreshed).toHaveBeenCalledTimes(1);
    expect(token()).toBe('new');
  });

  it('shares one refresh between concurrent 401s (single flight)', async () => {
    const gate = deferred<Reply>();
    const { client, seen } = setup(server(() => gate.promise));
    const calls = [client.get('/api/user/profile'), client.get('/api/user/sessions'), client.get('/api/user/2fa')];
    await vi.waitFor(() => expect(seen.filter(isRefresh)).toHaveLength(1));
    // Let every 401 reach the interceptor before the refresh answers.
    await vi.waitFor(() => expect(seen.filter((r) => !isRefresh(r))).toHaveLength(3));
    gate.resolve({ status: 200, data: authResult('new') });
    const results = await Promise.all(calls);
    expect(results.map((r) => r.status)).toEqual([200, 200, 200]);
    expect(seen.filter(isRefresh)).toHaveLength(1);
    expect(seen.filter((r) => r.authorization === 'Bearer new')).toHaveLength(3);
  });

  it('does not refresh again for a 401 that arrives after the refresh already replaced its token', async () => {
    const late = deferred<Reply>();
    const { client, seen } = setup((req) => {
      if (req.url === '/api/slow' && req.authorization === 'Bearer old') return late.promise;
      return server()(req);
    });
    const slow = client.get('/api/slow');
    await client.get('/api/user/profile'); // 401, refresh, retry
    late.resolve(unauthorized);
    await expect(slow).resolves.toMatchObject({ status: 200 });
    expect(seen.filter(isRefresh)).toHaveLength(1);
  });

  it('ends the session when the refresh is refused, and rejects the original request', async () => {
    const { client, seen, hooks } = setup(server(() => ({ ...unauthorized, data: { ...(unauthorized as { data: object }).data, code: 'INVALID_REFRESH_TOKEN' } })));
    const results = await Promise.allSettled([client.get('/api/user/profile'), client.get('/api/user/sessions')]);
    for (const r of results) {
      expect(r.status).toBe('rejected');
      const reason = (r as PromiseRejectedResult).reason as unknown;
      expect(isApiError(reason) && reason.status).toBe(401);
    }
    expect(seen.filter(isRefresh)).toHaveLength(1);
    expect(hooks.onSessionExpired).toHaveBeenCalledTimes(1);
    // No retry after a failed refresh.
    expect(seen).toHaveLength(3);
  });

  it('keeps the session on a network failure during refresh', async () => {
    const { client, hooks } = setup(server(() => 'network'));
    await expect(client.get('/api/user/profile')).rejects.toMatchObject({ status: 401 });
    expect(hooks.onSessionExpired).not.toHaveBeenCalled();
  });

  it('retries only once: a 401 after the refresh is final', async () => {
    const { client, seen } = setup((req) => (isRefresh(req) ? { status: 200, data: authResult('new') } : unauthorized));
    await expect(client.get('/api/user/profile')).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(seen.map((r) => r.url)).toEqual(['/api/user/profile', '/api/auth/refresh', '/api/user/profile']);
  });

  it('never refreshes for a 401 from the sign-in endpoints', async () => {
    const { client, seen } = setup(() => ({ ...unauthorized, data: { ...(unauthorized as { data: object }).data, code: 'INVALID_CREDENTIALS' } }));
    await expect(client.post('/api/auth/login', { email: 'a', password: 'b' })).rejects.toMatchObject({
      status: 401,
      code: 'INVALID_CREDENTIALS',
    });
    await expect(client.post('/api/auth/2fa/verify', { mfaToken: 't', code: '1' })).rejects.toMatchObject({ status: 401 });
    expect(seen.filter(isRefresh)).toHaveLength(0);
  });

  it('refreshes for logout-all, which is authenticated by the access token', async () => {
    const { client, seen } = setup(server());
    await client.post('/api/auth/logout-all');
    expect(seen.filter(isRefresh)).toHaveLength(1);
  });

  it('refreshes without any token (after a reload) and retries', async () => {
    const { client, seen } = setup(server(), null);
    await expect(client.get('/api/user/profile')).resolves.toMatchObject({ status: 200 });
    expect(seen[0]?.authorization).toBeUndefined();
  });

  it('exposes the same single-flight refresh for start-up', async () => {
    const gate = deferred<Reply>();
    const { refresh, seen } = setup(server(() => gate.promise), null);
    const a = refresh();
    const b = refresh();
    gate.resolve({ status: 200, data: authResult('new') });
    await expect(Promise.all([a, b])).resolves.toEqual(['new', 'new']);
    expect(seen.filter(isRefresh)).toHaveLength(1);
    // Once settled, the next call refreshes again.
    await refresh();
    expect(seen.filter(isRefresh)).toHaveLength(2);
  });
});
