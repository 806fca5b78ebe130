import { useAuthStore } from '@/stores/auth-store';
import { apiClient, isApiError } from './api-client';

/** Where an administrator goes back to when a view as customer ends: that customer's admin page. */
export function impersonationReturnPath(userId: string): string {
  return `/admin/users/${encodeURIComponent(userId)}`;
}

/** "ends in 14:59": minutes and seconds left, never negative. */
export function formatCountdown(ms: number): string {
  const total = Math.max(0, Math.ceil(ms / 1000));
  const minutes = Math.floor(total / 60);
  const seconds = total % 60;
  return `${String(minutes).padStart(2, '0')}:${String(seconds).padStart(2, '0')}`;
}

/**
 * Ends the active view as customer: `POST /api/impersonation/end` with its token (audited), then back to the
 * administrator's own session. A 401 or 404 means the server had already ended it. Resolves to whether the server
 * confirmed; any other failure ends the view here anyway (the token is dropped, and expires within 15 minutes).
 * `returnToAdmin: false` (signing out) skips going back to the customer's admin page and its notice.
 */
export async function endImpersonation({ returnToAdmin = true }: { returnToAdmin?: boolean } = {}): Promise<boolean> {
  const view = useAuthStore.getState().impersonation;
  if (!view) return true;
  let confirmed = true;
  try {
    await apiClient.post('/api/impersonation/end');
  } catch (err) {
    confirmed = isApiError(err) && (err.status === 401 || err.status === 404);
  }
  useAuthStore.getState().stopImpersonation('ended', view.accessToken);
  if (!returnToAdmin) useAuthStore.getState().dismissImpersonationEnded();
  return confirmed;
}
