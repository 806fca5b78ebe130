import { useCallback, useState } from 'react';
import { endImpersonation } from '@/lib/impersonation';
import { useAuthStore } from '@/stores/auth-store';
import { logout } from '../api/sign-in';

/**
 * Signs this device out: the server forgets the session, the store forgets the token, protected pages redirect.
 * A view as customer is ended first, so the audit log records its end.
 */
export function useSignOut() {
  const [pending, setPending] = useState(false);
  const signOut = useCallback(async () => {
    setPending(true);
    try {
      if (useAuthStore.getState().impersonation) await endImpersonation({ returnToAdmin: false });
      await logout();
    } catch {
      // Signing out locally matters more than the server's answer; the cookie expires anyway.
    } finally {
      setPending(false);
      useAuthStore.getState().signedOut('signed-out');
    }
  }, []);
  return { signOut, pending };
}
