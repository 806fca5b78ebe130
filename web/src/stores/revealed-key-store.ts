import { create } from 'zustand';
import { selectCurrentUser, useAuthStore } from './auth-store';

/** A key secret the dashboard just showed (after create or rotate), so the API playground can prefill it. */
export interface RevealedKey {
  id: string;
  name: string;
  prefix: string;
  secret: string;
  how: 'created' | 'rotated';
}

interface RevealedKeyState {
  /**
   * Memory only, like the access token: never written to localStorage, sessionStorage or a cookie. A reload or
   * signing out forgets it.
   */
  revealed: RevealedKey | null;
  remember: (key: RevealedKey) => void;
  forget: () => void;
}

export const useRevealedKeyStore = create<RevealedKeyState>()((set) => ({
  revealed: null,
  remember: (revealed) => set({ revealed }),
  forget: () => set({ revealed: null }),
}));

// Another user (or nobody) signed in, or a view as customer started or ended: the secret is not theirs to see.
useAuthStore.subscribe((state, previous) => {
  if (selectCurrentUser(state)?.id !== selectCurrentUser(previous)?.id && useRevealedKeyStore.getState().revealed) {
    useRevealedKeyStore.getState().forget();
  }
});
