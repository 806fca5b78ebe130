import { create } from 'zustand';
import type { AuthResult, User } from '@/types';

/** `unknown` until the start-up refresh has answered; protected pages wait for it. */
export type AuthStatus = 'unknown' | 'authenticated' | 'anonymous';

/** Why the session ended, so the sign-in page can say so (and know whether to send the user back). */
export type SignOutReason = 'signed-out' | 'expired' | 'account-deleted' | 'password-reset';

/**
 * "View as customer": an administrator's read-only look at a customer's account (POST /api/admin/impersonation).
 * It lives next to the administrator's own session, which stays signed in underneath and comes back when it ends.
 */
export interface Impersonation {
  /**
   * The customer's read-only access token. Memory only, like the administrator's: never in localStorage,
   * sessionStorage or a cookie. A reload forgets it, which ends the view.
   */
  accessToken: string;
  impersonationId: string;
  /** The customer, as the app shows them while the view lasts. */
  user: User;
  /** When the token stops working, by this browser's clock (epoch ms). */
  expiresAt: number;
}

/** `ended`: the administrator ended it; `expired`: its time ran out; `revoked`: the server stopped honouring it. */
export type ImpersonationEndReason = 'ended' | 'expired' | 'revoked';

/** The view that just ended, so the app can go back to the customer's admin page and say why. */
export interface ImpersonationEnded {
  reason: ImpersonationEndReason;
  userId: string;
  email: string;
  /** Set once the app has gone back to the admin page, so that happens only once. */
  returned: boolean;
}

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
  /** An administrator viewing a customer's account; null: none. */
  impersonation: Impersonation | null;
  /** The last view as customer that ended, until its notice is dismissed or another view starts. */
  impersonationEnded: ImpersonationEnded | null;
  /** Writes refused because the view is read-only (403 IMPERSONATION_READ_ONLY), counted so each is announced. */
  readOnlyRefusals: number;
  signedIn: (result: Pick<AuthResult, 'user' | 'accessToken'>) => void;
  /**
   * Replaces the signed-in user (after a profile change), or the viewed customer during a view as customer;
   * ignored when nobody is signed in, and for an answer about anyone else (e.g. a late one from a view that ended).
   */
  setUser: (user: User) => void;
  signedOut: (reason: SignOutReason | null) => void;
  startImpersonation: (impersonation: Impersonation) => void;
  /** Ends the view; with `token`, only if that is still the view's token (a late answer about an older view). */
  stopImpersonation: (reason: ImpersonationEndReason, token?: string) => void;
  markImpersonationReturned: () => void;
  dismissImpersonationEnded: () => void;
  noteReadOnlyRefusal: () => void;
}

export const useAuthStore = create<AuthState>()((set) => ({
  status: 'unknown',
  user: null,
  accessToken: null,
  reason: null,
  impersonation: null,
  impersonationEnded: null,
  readOnlyRefusals: 0,
  // A refresh of the administrator's own session keeps a view as customer going; anyone else signing in ends it.
  signedIn: ({ user, accessToken }) =>
    set((s) => ({
      status: 'authenticated',
      user,
      accessToken,
      reason: null,
      ...(s.user?.id === user.id ? {} : { impersonation: null, impersonationEnded: null }),
    })),
  // A late answer must not bring back a user who has signed out meanwhile.
  setUser: (user) =>
    set((s) => {
      if (s.status !== 'authenticated') return s;
      if (s.impersonation) {
        if (s.impersonation.user.id === user.id) return { impersonation: { ...s.impersonation, user } };
        return s.user?.id === user.id ? { user } : s;
      }
      return !s.user || s.user.id === user.id ? { user } : s;
    }),
  signedOut: (reason) =>
    set({ status: 'anonymous', user: null, accessToken: null, reason, impersonation: null, impersonationEnded: null }),
  startImpersonation: (impersonation) => set({ impersonation, impersonationEnded: null, readOnlyRefusals: 0 }),
  stopImpersonation: (reason, token) =>
    set((s) => {
      const current = s.impersonation;
      if (!current || (token !== undefined && token !== current.accessToken)) return s;
      return {
        impersonation: null,
        impersonationEnded: { reason, userId: current.user.id, email: current.user.email, returned: false },
      };
    }),
  markImpersonationReturned: () =>
    set((s) => (s.impersonationEnded ? { impersonationEnded: { ...s.impersonationEnded, returned: true } } : s)),
  dismissImpersonationEnded: () => set({ impersonationEnded: null }),
  noteReadOnlyRefusal: () => set((s) => ({ readOnlyRefusals: s.readOnlyRefusals + 1 })),
}));

type AuthSnapshot = Pick<AuthState, 'user' | 'impersonation'>;

/** The user the app shows: the customer during a view as customer, otherwise whoever is signed in. */
export function selectCurrentUser(state: AuthSnapshot): User | null {
  return state.impersonation?.user ?? state.user;
}

/** The user the app shows (see selectCurrentUser), as a React hook. */
export function useCurrentUser(): User | null {
  return useAuthStore(selectCurrentUser);
}

/** Whether an administrator is viewing a customer's account (everything is read-only meanwhile). */
export function useIsImpersonating(): boolean {
  return useAuthStore((s) => s.impersonation !== null);
}
