import { create } from 'zustand';
import { selectCurrentUser, useAuthStore } from './auth-store';

/** localStorage key prefix; the user id follows, so each person on a shared browser keeps their own choice. */
export const ORGANIZATION_STORAGE_PREFIX = 'tollgate.activeOrganization.';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A one-off message about the organization the app acts for (shown above the page until dismissed). */
export interface OrganizationNotice {
  tone: 'success' | 'info' | 'warning';
  text: string;
  /** An optional follow-up link, e.g. "Invite people". */
  link?: { to: string; label: string };
}

export const ORGANIZATION_GONE_TEXT =
  'The organization you had selected is no longer available to you: it was deleted, or you were removed from it. You are now in your personal organization.';

interface OrganizationState {
  /** The signed-in user the selection belongs to (null: nobody signed in). */
  userId: string | null;
  /**
   * The active team organization, sent as `X-Organization-Id` on every /api request. null: the personal
   * organization, which is what the server uses when the header is absent.
   */
  activeId: string | null;
  notice: OrganizationNotice | null;
  /** Switches organization (null: the personal one) and remembers it for this user. */
  select: (id: string | null, notice?: OrganizationNotice | null) => void;
  /**
   * The server says `id` does not exist for this user (404 ORGANIZATION_NOT_FOUND, 400 INVALID_ORGANIZATION_ID):
   * back to the personal organization. Ignored when another organization has been selected meanwhile.
   */
  fallBack: (id: string) => void;
  dismissNotice: () => void;
}

function storageKey(userId: string): string {
  return `${ORGANIZATION_STORAGE_PREFIX}${userId}`;
}

// localStorage can be missing or throw (privacy modes, quota): the choice then lasts until the tab closes.
function readStored(userId: string): string | null {
  try {
    const value = window.localStorage.getItem(storageKey(userId));
    return value && UUID.test(value) ? value : null;
  } catch {
    return null;
  }
}

function writeStored(userId: string, id: string | null): void {
  try {
    if (id) window.localStorage.setItem(storageKey(userId), id);
    else window.localStorage.removeItem(storageKey(userId));
  } catch {
    // Not persisted; the in-memory choice still applies.
  }
}

/**
 * During a view as customer the app starts in the customer's personal organization and remembers nothing: the
 * choice is the administrator's to make for this view only, and their own saved choice comes back when it ends.
 */
function viewing(): boolean {
  return useAuthStore.getState().impersonation !== null;
}

function initial(): Pick<OrganizationState, 'userId' | 'activeId'> {
  const userId = selectCurrentUser(useAuthStore.getState())?.id ?? null;
  return { userId, activeId: userId && !viewing() ? readStored(userId) : null };
}

export const useOrganizationStore = create<OrganizationState>()((set, get) => ({
  ...initial(),
  notice: null,
  select: (id, notice = null) => {
    const { userId } = get();
    const activeId = id && UUID.test(id) ? id : null;
    if (userId && !viewing()) writeStored(userId, activeId);
    set({ activeId, notice });
  },
  fallBack: (id) => {
    if (get().activeId !== id) return;
    get().select(null, { tone: 'warning', text: ORGANIZATION_GONE_TEXT });
  },
  dismissNotice: () => set({ notice: null }),
}));

/** The active organization's id, or null for the personal one (for non-React code such as the API client). */
export function activeOrganizationId(): string | null {
  return useOrganizationStore.getState().activeId;
}

// Follow the user the app shows: load their saved choice on sign-in, forget it on sign-out. An expired session
// keeps the saved choice, so signing in again returns to the same organization (and the page the user was on).
// A view as customer starts in the customer's personal organization; when it ends, the administrator's choice
// comes back.
useAuthStore.subscribe((state, previous) => {
  const next = selectCurrentUser(state)?.id ?? null;
  const prev = selectCurrentUser(previous)?.id ?? null;
  if (next === prev) return;
  const signedOut = previous.user?.id;
  if (signedOut && !state.user && state.reason !== 'expired') writeStored(signedOut, null);
  const restore = next !== null && state.impersonation === null;
  useOrganizationStore.setState({ userId: next, activeId: restore ? readStored(next) : null, notice: null });
});
