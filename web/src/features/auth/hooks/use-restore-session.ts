import { useEffect } from 'react';
import { refreshSession } from '@/lib/api-client';
import { useAuthStore } from '@/stores/auth-store';

/** The server's non-secret hint cookie, set next to the HttpOnly refresh cookie and cleared with it. */
export function hasSessionHint(cookies: string = document.cookie): boolean {
  return cookies.split(';').some((c) => c.trim() === 'tollgate_session=1');
}

/**
 * Once at start-up: the access token lives in memory, so a reload has none. One silent refresh (the refresh
 * token is in the HttpOnly cookie) restores the session; any failure means "signed out". Without the hint cookie
 * there is no session to restore, so anonymous visitors make no doomed refresh call.
 */
export function useRestoreSession(): void {
  useEffect(() => {
    if (useAuthStore.getState().status !== 'unknown') return;
    if (!hasSessionHint()) {
      useAuthStore.getState().signedOut(null);
      return;
    }
    // refreshSession is single-flight, so StrictMode's second effect run joins the first request.
    refreshSession().catch(() => {
      const state = useAuthStore.getState();
      if (state.status === 'unknown') state.signedOut(null);
    });
  }, []);
}
