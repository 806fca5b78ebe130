import { render, waitFor } from '@testing-library/react';
import { AxiosError, AxiosHeaders, type AxiosAdapter, type InternalAxiosRequestConfig } from 'axios';
import { StrictMode } from 'react';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { apiClient } from '@/lib/api-client';
import { useAuthStore } from '@/stores/auth-store';
import { authResult, resetAuth } from '@/testing/fixtures';
import { hasSessionHint, useRestoreSession } from './use-restore-session';

const original = apiClient.defaults.adapter;
let calls: string[] = [];

function replyWith(status: number, data: unknown) {
  const adapter: AxiosAdapter = async (config: InternalAxiosRequestConfig) => {
    calls.push(`${config.method?.toUpperCase()} ${config.url}`);
    const response = { status, statusText: '', data, headers: new AxiosHeaders({ 'content-type': 'application/json' }), config };
    if (status >= 300) throw new AxiosError('failed', AxiosError.ERR_BAD_REQUEST, config, {}, response);
    return response;
  };
  apiClient.defaults.adapter = adapter;
}

function Probe() {
  useRestoreSession();
  return null;
}

describe('useRestoreSession', () => {
  beforeEach(() => {
    calls = [];
    resetAuth('unknown');
    document.cookie = 'tollgate_session=1; path=/';
  });
  afterEach(() => {
    apiClient.defaults.adapter = original;
  });

  it('restores the session with one refresh (StrictMode included)', async () => {
    replyWith(200, authResult());
    render(
      <StrictMode>
        <Probe />
      </StrictMode>,
    );
    await waitFor(() => expect(useAuthStore.getState().status).toBe('authenticated'));
    expect(useAuthStore.getState().accessToken).toBe('access');
    expect(calls).toEqual(['POST /api/auth/refresh']);
  });

  it('settles on anonymous, with nothing to announce, when there is no session', async () => {
    replyWith(401, { type: '/docs/problems#INVALID_REFRESH_TOKEN', title: 'Authentication required', status: 401, code: 'INVALID_REFRESH_TOKEN', requestId: 'r' });
    render(<Probe />);
    await waitFor(() => expect(useAuthStore.getState().status).toBe('anonymous'));
    expect(useAuthStore.getState().reason).toBeNull();
  });

  it('skips the refresh when the server left no session hint cookie', async () => {
    document.cookie = 'tollgate_session=; path=/; max-age=0';
    replyWith(200, authResult());
    render(<Probe />);
    await waitFor(() => expect(useAuthStore.getState().status).toBe('anonymous'));
    expect(calls).toEqual([]);
    expect(hasSessionHint('a=b; tollgate_session=1')).toBe(true);
    expect(hasSessionHint('tollgate_session=')).toBe(false);
  });

  it('marks an ended session as expired when a signed-in refresh is refused', async () => {
    useAuthStore.getState().signedIn(authResult());
    replyWith(401, { type: '/docs/problems#UNAUTHORIZED', title: 'Authentication required', status: 401, code: 'UNAUTHORIZED', requestId: 'r' });
    await expect(apiClient.get('/api/user/profile')).rejects.toMatchObject({ status: 401 });
    expect(useAuthStore.getState()).toMatchObject({ status: 'anonymous', reason: 'expired', accessToken: null });
    expect(calls).toEqual(['GET /api/user/profile', 'POST /api/auth/refresh']);
  });
});
