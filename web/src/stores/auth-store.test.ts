import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authResult, CUSTOMER, impersonate, resetAuth, USER } from '@/testing/fixtures';
import { selectCurrentUser, useAuthStore } from './auth-store';
import { ORGANIZATION_STORAGE_PREFIX, useOrganizationStore } from './organization-store';

const ACME = '00000000-0000-4000-8000-0000000000a1';

describe('auth store: view as customer', () => {
  beforeEach(() => {
    resetAuth();
    window.localStorage.clear();
  });
  afterEach(() => resetAuth());

  it("keeps the administrator's session alongside the view, and shows the customer meanwhile", () => {
    impersonate();
    const s = useAuthStore.getState();
    expect(s.accessToken).toBe('access');
    expect(s.user?.id).toBe(USER.id);
    expect(s.impersonation?.accessToken).toBe('customer-token');
    expect(selectCurrentUser(s)?.email).toBe(CUSTOMER.email);
  });

  it("sends a fresh profile to whoever it belongs to, and ignores anyone else's", () => {
    impersonate();
    useAuthStore.getState().setUser({ ...CUSTOMER, name: 'Grace B. Hopper' });
    useAuthStore.getState().setUser({ ...USER, name: 'Ada, Admin' });
    useAuthStore.getState().setUser({ ...USER, id: '00000000-0000-4000-8000-0000000000ff', email: 'x@y.test' });
    const s = useAuthStore.getState();
    expect(s.impersonation?.user.name).toBe('Grace B. Hopper');
    expect(s.user?.name).toBe('Ada, Admin');
    // A late answer from the view, after it ended, does not replace the administrator.
    s.stopImpersonation('ended');
    useAuthStore.getState().setUser({ ...CUSTOMER });
    expect(useAuthStore.getState().user?.id).toBe(USER.id);
  });

  it("survives a refresh of the administrator's session; ends when someone else signs in or on sign-out", () => {
    impersonate();
    useAuthStore.getState().signedIn({ ...authResult({ role: 'ADMIN' }), accessToken: 'access-2' });
    expect(useAuthStore.getState().impersonation).not.toBeNull();
    expect(useAuthStore.getState().accessToken).toBe('access-2');
    useAuthStore.getState().signedIn(authResult({ id: '00000000-0000-4000-8000-0000000000ff' }));
    expect(useAuthStore.getState().impersonation).toBeNull();

    impersonate();
    useAuthStore.getState().signedOut('signed-out');
    expect(useAuthStore.getState().impersonation).toBeNull();
  });

  it('ends a view only with its own token, and remembers why', () => {
    impersonate();
    useAuthStore.getState().stopImpersonation('revoked', 'an-older-token');
    expect(useAuthStore.getState().impersonation).not.toBeNull();
    useAuthStore.getState().stopImpersonation('revoked', 'customer-token');
    expect(useAuthStore.getState().impersonation).toBeNull();
    expect(useAuthStore.getState().impersonationEnded).toEqual({ reason: 'revoked', userId: CUSTOMER.id, email: CUSTOMER.email, returned: false });
  });

  it("does not save the organization chosen during a view, and brings the administrator's back", () => {
    impersonate();
    useAuthStore.getState().stopImpersonation('ended');
    useOrganizationStore.getState().select(ACME);
    impersonate();
    expect(useOrganizationStore.getState().activeId).toBeNull();
    useOrganizationStore.getState().select('00000000-0000-4000-8000-0000000000a2');
    expect(window.localStorage.getItem(`${ORGANIZATION_STORAGE_PREFIX}${CUSTOMER.id}`)).toBeNull();
    expect(window.localStorage.getItem(`${ORGANIZATION_STORAGE_PREFIX}${USER.id}`)).toBe(ACME);
    useAuthStore.getState().stopImpersonation('ended');
    expect(useOrganizationStore.getState().activeId).toBe(ACME);
  });
});
