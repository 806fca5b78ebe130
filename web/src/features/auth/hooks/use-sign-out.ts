import { useCallback, useState } from 'react';
import { useAuthStore } from '@/stores/auth-store';
import { logout } from '../api/sign-in';

/** Signs this device out: the server forgets the session, the store forgets the token, protected pages redirect. */
export function useSignOut() {
  const [pending, setPending] = useState(false);
  const signOut = useCallback(async () => {
    setPending(true);
    try {
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
