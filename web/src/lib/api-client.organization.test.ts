import { AxiosError, AxiosHeaders, type AxiosAdapter, type AxiosResponse, type InternalAxiosRequestConfig } from 'axios';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { resetAuth, signInAs } from '@/testing/fixtures';
import { useOrganizationStore } from '@/stores/organization-store';
import { apiClient, createSessionClient, ORGANIZATION_HEADER, type SessionHooks } from './api-client';

const ACME = '00000000-0000-4000-8000-0000000000a1';
const GLOBEX = '00000000-0000-4000-8000-0000000000a2';

type Reply = { status: number; data?: unknown };

interface Seen {
  url: string;
  organization: string | undefined;
  authorization: string | undefined;
}

function problem(status: number, code: string): Reply {
  return { status, data: { type: `/docs/problems#${code}`, title: 'Problem', status, code, requestId: 'r' } };
}

/** A fake transport that records the headers of each attempt. */
function adapterFor(handler: (req: Seen) => Reply, seen: Seen[]): AxiosAdapter {
  return async (config: InternalAxiosRequestConfig) => {
    const req: Seen = {
      url: config.url ?? '',
      organization: config.headers.get(ORGANIZATION_HEADER)?.toString(),
      authorization: config.headers.get('Authorization')?.toString(),
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

function sessionClient(organization: () => string | null, handler: (req: Seen) => Reply = () => ({ status: 200, data: {} })) {
  const hooks: SessionHooks = {
    getAccessToken: () => 'tok',
    onRefreshed: vi.fn(),
    onSessionExpired: vi.fn(),
    getOrganizationId: organization,
    onOrganizationGone: vi.fn(),
  };
  const { client } = createSessionClient(hooks, '');
  const seen: Seen[] = [];
  client.defaults.adapter = adapterFor(handler, seen);
  return { client, hooks, seen };
}

describe('X-Organization-Id', () => {
  it('is sent on every /api request while a team organization is active, and not otherwise', async () => {
    let active: string | null = ACME;
    const { client, seen } = sessionClient(() => active);
    await client.get('/api/user/api-keys');
    await client.post('/api/organization/invitations', { email: 'a@b.c' });
    // Not an /api route: the header is for the dashboard API only.
    await client.get('/healthz');
    active = null;
    await client.get('/api/user/api-keys');
    expect(seen.map((r) => [r.url, r.organization ?? null])).toEqual([
      ['/api/user/api-keys', ACME],
      ['/api/organization/invitations', ACME],
      ['/healthz', null],
      ['/api/user/api-keys', null],
    ]);
  });

  it('names the organization active at the time of each attempt, also on the retry after a refresh', async () => {
    let active: string | null = ACME;
    let refreshed = false;
    const { client, seen } = sessionClient(
      () => active,
      (req) => {
        if (req.url === '/api/auth/refresh') {
          refreshed = true;
          active = GLOBEX;
          return { status: 200, data: { accessToken: 'new', user: {} } };
        }
        return refreshed ? { status: 200, data: {} } : problem(401, 'UNAUTHORIZED');
      },
    );
    await client.get('/api/user/usage');
    expect(seen.map((r) => `${r.url} ${r.organization ?? '-'}`)).toEqual([
      `/api/user/usage ${ACME}`,
      `/api/auth/refresh ${ACME}`,
      `/api/user/usage ${GLOBEX}`,
    ]);
  });

  it('reports an organization the server does not know for this user (404 ORGANIZATION_NOT_FOUND, 400 INVALID_ORGANIZATION_ID)', async () => {
    const { client, hooks } = sessionClient(
      () => ACME,
      (req) => (req.url === '/api/organization' ? problem(404, 'ORGANIZATION_NOT_FOUND') : problem(400, 'INVALID_ORGANIZATION_ID')),
    );
    await expect(client.get('/api/organization')).rejects.toMatchObject({ status: 404, code: 'ORGANIZATION_NOT_FOUND' });
    await expect(client.get('/api/user/api-keys')).rejects.toMatchObject({ status: 400, code: 'INVALID_ORGANIZATION_ID' });
    expect(hooks.onOrganizationGone).toHaveBeenCalledTimes(2);
    expect(hooks.onOrganizationGone).toHaveBeenCalledWith(ACME);
  });

  it('does not report other 404s, nor an ORGANIZATION_NOT_FOUND for a request that named no organization', async () => {
    let active: string | null = ACME;
    const { client, hooks } = sessionClient(
      () => active,
      (req) => (req.url === '/api/organization' ? problem(404, 'ORGANIZATION_NOT_FOUND') : problem(404, 'NOT_FOUND')),
    );
    await expect(client.get('/api/user/api-keys/x')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    active = null;
    await expect(client.get('/api/organization')).rejects.toMatchObject({ code: 'ORGANIZATION_NOT_FOUND' });
    expect(hooks.onOrganizationGone).not.toHaveBeenCalled();
  });
});

describe('the app client and the organization store', () => {
  const original = apiClient.defaults.adapter;
  beforeEach(() => {
    window.localStorage.clear();
    signInAs();
    useOrganizationStore.setState({ activeId: null, notice: null });
  });
  afterEach(() => {
    apiClient.defaults.adapter = original;
    resetAuth();
  });

  it('sends the active organization from the store and falls back to personal when the server says it is gone', async () => {
    const seen: Seen[] = [];
    apiClient.defaults.adapter = adapterFor(
      (req) => (req.organization === ACME ? problem(404, 'ORGANIZATION_NOT_FOUND') : { status: 200, data: { keys: [] } }),
      seen,
    );
    await apiClient.get('/api/user/api-keys');
    useOrganizationStore.getState().select(ACME);
    await expect(apiClient.get('/api/user/api-keys')).rejects.toMatchObject({ code: 'ORGANIZATION_NOT_FOUND' });
    expect(useOrganizationStore.getState().activeId).toBeNull();
    expect(useOrganizationStore.getState().notice?.tone).toBe('warning');
    await apiClient.get('/api/user/api-keys');
    expect(seen.map((r) => [r.organization ?? null, r.authorization])).toEqual([
      [null, 'Bearer access'],
      [ACME, 'Bearer access'],
      [null, 'Bearer access'],
    ]);
  });
});
