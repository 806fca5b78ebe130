import { useEffect } from 'react';
import { selectCurrentUser, useAuthStore } from '@/stores/auth-store';
import { getMe } from '../api/get-me';

/**
 * Keeps the signed-in user current: fetched when the dashboard opens, and again when the tab regains focus
 * while the email is unverified (the link is often opened in another tab). During a view as customer the request
 * carries the customer's token, so this fetches (and keeps current) the customer's profile.
 */
export function useFreshUser(): void {
  const unverified = useAuthStore((s) => selectCurrentUser(s)?.emailVerified === false);

  useEffect(() => {
    const controller = new AbortController();
    getMe(controller.signal)
      .then((user) => useAuthStore.getState().setUser(user))
      .catch(() => undefined);
    return () => controller.abort();
  }, []);

  useEffect(() => {
    if (!unverified) return undefined;
    const onFocus = () => {
      if (document.visibilityState === 'hidden') return;
      getMe()
        .then((user) => useAuthStore.getState().setUser(user))
        .catch(() => undefined);
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    return () => {
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
    };
  }, [unverified]);
}
