import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useAuthStore } from '@/stores/auth-store';
import { useOrganizationStore } from '@/stores/organization-store';
import { impersonate, resetAuth, USER } from '@/testing/fixtures';
import { apiClient, createSessionClient, isApiError, ORGANIZATION_HEADER, type SessionHooks } from './api-client';
import { READ_ONLY_MESSAGE, errorMessage } from './errors';

type Reply = { status: number; data?: unknown };

interface Seen {
  method: string;
  url: string;
  authorization: string | undefined;
  organization: string | undefined;
}

function problem(status: number, code: string): Reply {
  return { status, data: { type: `/docs/problems#${code}`, title: 'Problem', status, code, requestId: 'r' } };
}

function adapterFor(handler: (req: Seen) => Reply, seen: Seen[]): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig) => {
    const req: Seen = {
      method: (config.method ?? 'get').toUpperCase(),
      url: config.url ?? '',
      authorization: config.headers.get('Authorization')?.toString(),
      organization: config.headers.get(ORGANIZATION_HEADER)?.toString(),
    };
    seen.push(req);
    const reply = handler(req);
    const response: AxiosResponse = {
      status: reply.status,
      statusText: '',
      data: reply.data,
      headers: new AxiosHeaders({ 'content-type': reply.status >= 400 ? 'application/problem+json' : 'application/json' }),
      config,
    };
    if (reply.status >= 300) throw new AxiosError(`status ${reply.status}`, AxiosError.ERR_BAD_REQUEST, config, {}, response);
    return response;
  };
}

/** The customer's token reads; writes are refused; "revoked" answers 401 SESSION_REVOKED. */
function server(revoked = false) {
  return (req: Seen): Reply => {
    if (req.url === '/api/auth/refresh') return { status: 200, data: { user: USER, accessToken: 'admin-2', tokenType: 'Bearer', expiresIn: 900 } };
    if (req.authorization?.startsWith('Bearer customer')) {
      if (revoked) return problem(401, 'SESSION_REVOKED');
      if (req.method !== 'GET' && req.url !== '/api/impersonation/end') return problem(403, 'IMPERSONATION_READ_ONLY');
    }
    return { status: req.method === 'GET' ? 200 : 204, data: {} };
  };
}

function setup(handler: (req: Seen) => Reply, impersonation: string | null = 'customer') {
  const hooks: SessionHooks = {
    getAccessToken: () => 'admin',
    onRefreshed: vi.fn(),
    onSessionExpired: vi.fn(),
    getImpersonationToken: () => impersonation,
    onImpersonationEnded: vi.fn(),
    onReadOnly: vi.fn(),
  };
  const { client } = createSessionClient(hooks, '');
  const seen: Seen[] = [];
  client.defaults.adapter = adapterFor(handler, seen);
  return { client, hooks, seen };
}

describe('view as customer in the session client', () => {
  it("sends the customer's token instead of the administrator's, except to sign out and to report an error", async () => {
    const { client, seen } = setup(server());
    await client.get('/api/user/api-keys');
    await client.post('/api/impersonation/end');
    await client.post('/api/auth/logout');
    await client.post('/api/client-errors', { message: 'x' });
    expect(seen.map((r) => `${r.method} ${r.url} ${r.authorization}`)).toEqual([
      'GET /api/user/api-keys Bearer customer',
      'POST /api/impersonation/end Bearer customer',
      'POST /api/auth/logout Bearer admin',
      'POST /api/client-errors Bearer admin',
    ]);
  });

  it('reports a refused write as read-only, and the message says so', async () => {
    const { client, hooks } = setup(server());
    const error: unknown = await client.post('/api/user/api-keys', { name: 'x' }).catch((e: unknown) => e);
    expect(isApiError(error) && error.code).toBe('IMPERSONATION_READ_ONLY');
    expect(hooks.onReadOnly).toHaveBeenCalledTimes(1);
    expect(isApiError(error) && errorMessage(error)).toBe(READ_ONLY_MESSAGE);
  });

  it('ends the view on a 401 without trying to refresh (the refresh cookie is the administrator’s)', async () => {
    const { client, hooks, seen } = setup(server(true));
    await expect(client.get('/api/user/api-keys')).rejects.toMatchObject({ status: 401, code: 'SESSION_REVOKED' });
    expect(hooks.onImpersonationEnded).toHaveBeenCalledWith('customer');
    expect(seen.map((r) => r.url)).toEqual(['/api/user/api-keys']);
    expect(hooks.onRefreshed).not.toHaveBeenCalled();
    // Ending an already-ended view is its caller's business.
    await expect(client.post('/api/impersonation/end')).rejects.toMatchObject({ status: 401 });
    expect(hooks.onImpersonationEnded).toHaveBeenCalledTimes(1);
  });

  it('behaves as before without a view', async () => {
    const { client, hooks, seen } = setup(server(), null);
    await client.post('/api/user/api-keys', {});
    expect(seen[0]?.authorization).toBe('Bearer admin');
    expect(hooks.onReadOnly).not.toHaveBeenCalled();
  });
});

describe('the app client during a view as customer', () => {
  const ACME = '00000000-0000-4000-8000-0000000000a1';
  let seen: Seen[];
  const original = apiClient.defaults.adapter;

  beforeEach(() => {
    resetAuth();
    window.localStorage.clear();
    seen = [];
    apiClient.defaults.adapter = adapterFor(server(true), seen);
  });
  afterEach(() => {
    apiClient.defaults.adapter = original;
    resetAuth();
  });

  it("starts in the customer's personal organization, then ends the view on 401 and restores the administrator's choice", async () => {
    impersonate();
    // The administrator had a team organization selected; the view starts in the customer's personal one.
    useAuthStore.getState().stopImpersonation('ended');
    useOrganizationStore.getState().select(ACME);
    impersonate();
    expect(useOrganizationStore.getState().activeId).toBeNull();

    await expect(apiClient.get('/api/user/api-keys')).rejects.toMatchObject({ code: 'SESSION_REVOKED' });
    expect(seen[0]).toMatchObject({ authorization: 'Bearer customer-token', organization: undefined });
    const state = useAuthStore.getState();
    expect(state.impersonation).toBeNull();
    expect(state.impersonationEnded).toMatchObject({ reason: 'revoked', email: 'grace@acme.test' });
    expect(state.accessToken).toBe('access');
    expect(useOrganizationStore.getState().activeId).toBe(ACME);
  });
});
