import { useEffect } from 'react';
import { create } from 'zustand';
import { toApiError, type ApiError } from '@/lib/api-client';
import { selectCurrentUser, useAuthStore, useCurrentUser } from '@/stores/auth-store';
import { useOrganizationStore } from '@/stores/organization-store';
import type { Organization } from '@/types';
import { listOrganizations } from '../api/organizations';

interface OrganizationListState {
  /** Mine, the personal one first; undefined until the first answer. */
  organizations: Organization[] | undefined;
  error: ApiError | undefined;
  loading: boolean;
  /** Reads the list again (after a create, rename, leave, delete, transfer or accept). */
  load: () => Promise<void>;
  /** Puts one organization in the list at once (just created or joined), ahead of the next load. */
  upsert: (org: Organization) => void;
  /** Drops one (left or deleted). */
  remove: (id: string) => void;
}

// Every change bumps this, so an answer to a request sent before it cannot overwrite newer knowledge.
let generation = 0;

export const useOrganizationList = create<OrganizationListState>()((set, get) => ({
  organizations: undefined,
  error: undefined,
  loading: false,
  load: async () => {
    const mine = ++generation;
    set({ loading: true });
    try {
      const organizations = await listOrganizations();
      if (mine !== generation) return;
      set({ organizations, error: undefined, loading: false });
      // The saved choice is not among them any more (removed, deleted): back to the personal organization.
      const active = useOrganizationStore.getState().activeId;
      if (active && !organizations.some((o) => o.id === active && !o.personal)) {
        useOrganizationStore.getState().fallBack(active);
      }
    } catch (err) {
      if (mine !== generation) return;
      set({ error: toApiError(err), loading: false });
    }
  },
  upsert: (org) => {
    generation++;
    const list = get().organizations ?? [];
    const exists = list.some((o) => o.id === org.id);
    set({
      organizations: exists ? list.map((o) => (o.id === org.id ? org : o)) : [...list, org],
      loading: false,
    });
  },
  remove: (id) => {
    generation++;
    set((s) => ({ organizations: s.organizations?.filter((o) => o.id !== id), loading: false }));
  },
}));

// Another user (or nobody), or a view as customer started or ended: their list is not this one.
useAuthStore.subscribe((state, previous) => {
  if (selectCurrentUser(state)?.id !== selectCurrentUser(previous)?.id) {
    generation++;
    useOrganizationList.setState({ organizations: undefined, error: undefined, loading: false });
  }
});

/** The signed-in user's organizations, loaded on first use, and the one the app acts for. */
export function useOrganizations() {
  const organizations = useOrganizationList((s) => s.organizations);
  const error = useOrganizationList((s) => s.error);
  const loading = useOrganizationList((s) => s.loading);
  const load = useOrganizationList((s) => s.load);
  const userId = useCurrentUser()?.id;
  const activeId = useOrganizationStore((s) => s.activeId);

  useEffect(() => {
    const { organizations: loaded, loading: busy } = useOrganizationList.getState();
    if (userId && !loaded && !busy) void load();
  }, [userId, load]);

  const active = organizations?.find((o) => (activeId ? o.id === activeId : o.personal));
  return { organizations, error, loading, load, activeId, active };
}

/** Reads the organization list again, from outside React (after an action that changes it). */
export function reloadOrganizations(): void {
  void useOrganizationList.getState().load();
}
