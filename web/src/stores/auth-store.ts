import { create } from 'zustand';
import type { AuthResult, User } from '@/types';

/** `unknown` until the start-up refresh has answered; protected pages wait for it. */
export type AuthStatus = 'unknown' | 'authenticated' | 'anonymous';

/** Why the session ended, so the sign-in page can say so (and know whether to send the user back). */
export type SignOutReason = 'signed-out' | 'expired' | 'account-deleted' | 'password-reset';

interface AuthState {
  status: AuthStatus;
  user: User | null;
  /**
   * The access token lives in memory only: never in localStorage, sessionStorage or a readable cookie.
   * A reload loses it; the HttpOnly refresh cookie gets a new one.
   */
  accessToken: string | null;
  /** Set when the session ended, cleared by the next sign-in. */
  reason: SignOutReason | null;
  signedIn: (result: Pick<AuthResult, 'user' | 'accessToken'>) => void;
  /** Replaces the signed-in user (after a profile change); ignored when nobody is signed in. */
  setUser: (user: User) => void;
  signedOut: (reason: SignOutReason | null) => void;
}

export const useAuthStore = create<AuthState>()((set) => ({
  status: 'unknown',
  user: null,
  accessToken: null,
  reason: null,
  signedIn: ({ user, accessToken }) => set({ status: 'authenticated', user, accessToken, reason: null }),
  // A late answer must not bring back a user who has signed out meanwhile.
  setUser: (user) => set((s) => (s.status === 'authenticated' ? { user } : s)),
  signedOut: (reason) => set({ status: 'anonymous', user: null, accessToken: null, reason }),
}));
