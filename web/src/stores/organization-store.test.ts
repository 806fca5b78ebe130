import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authResult, resetAuth, signInAs } from '@/testing/fixtures';
import { useAuthStore } from './auth-store';
import { ORGANIZATION_GONE_TEXT, ORGANIZATION_STORAGE_PREFIX, activeOrganizationId, useOrganizationStore } from './organization-store';

const ADA = '00000000-0000-4000-8000-000000000001';
const BOB = '00000000-0000-4000-8000-000000000002';
const ACME = '00000000-0000-4000-8000-0000000000a1';
const GLOBEX = '00000000-0000-4000-8000-0000000000a2';

const saved = (userId: string) => window.localStorage.getItem(`${ORGANIZATION_STORAGE_PREFIX}${userId}`);

describe('organization store', () => {
  beforeEach(() => {
    resetAuth();
    window.localStorage.clear();
    useOrganizationStore.setState({ activeId: null, notice: null });
  });
  afterEach(() => resetAuth());

  it('starts in the personal organization and remembers a choice per user', () => {
    signInAs({ id: ADA });
    expect(activeOrganizationId()).toBeNull();
    useOrganizationStore.getState().select(ACME);
    expect(activeOrganizationId()).toBe(ACME);
    expect(saved(ADA)).toBe(ACME);

    // Back to personal: nothing saved, so no header is sent.
    useOrganizationStore.getState().select(null);
    expect(activeOrganizationId()).toBeNull();
    expect(saved(ADA)).toBeNull();
  });

  it("restores the user's saved choice when they sign in (e.g. after a reload)", () => {
    window.localStorage.setItem(`${ORGANIZATION_STORAGE_PREFIX}${ADA}`, ACME);
    window.localStorage.setItem(`${ORGANIZATION_STORAGE_PREFIX}${BOB}`, GLOBEX);
    signInAs({ id: ADA });
    expect(activeOrganizationId()).toBe(ACME);
    useAuthStore.getState().signedOut('expired');
    expect(activeOrganizationId()).toBeNull();
    // Another person on the same browser gets their own choice, not Ada's.
    signInAs({ id: BOB });
    expect(activeOrganizationId()).toBe(GLOBEX);
  });

  it('forgets the saved choice on sign-out, but keeps it when the session merely expired', () => {
    signInAs({ id: ADA });
    useOrganizationStore.getState().select(ACME);
    useAuthStore.getState().signedOut('expired');
    expect(saved(ADA)).toBe(ACME);

    useAuthStore.getState().signedIn(authResult({ id: ADA }));
    expect(activeOrganizationId()).toBe(ACME);
    useAuthStore.getState().signedOut('signed-out');
    expect(activeOrganizationId()).toBeNull();
    expect(saved(ADA)).toBeNull();
    expect(useOrganizationStore.getState().userId).toBeNull();
  });

  it('ignores a saved value that is not an organization id', () => {
    window.localStorage.setItem(`${ORGANIZATION_STORAGE_PREFIX}${ADA}`, 'not-a-uuid');
    signInAs({ id: ADA });
    expect(activeOrganizationId()).toBeNull();
  });

  it('falls back to the personal organization, with a notice, when the active one is gone', () => {
    signInAs({ id: ADA });
    useOrganizationStore.getState().select(ACME);
    // A late answer about an organization that is no longer the active one changes nothing.
    useOrganizationStore.getState().fallBack(GLOBEX);
    expect(activeOrganizationId()).toBe(ACME);

    useOrganizationStore.getState().fallBack(ACME);
    expect(activeOrganizationId()).toBeNull();
    expect(saved(ADA)).toBeNull();
    expect(useOrganizationStore.getState().notice).toEqual({ tone: 'warning', text: ORGANIZATION_GONE_TEXT });
    useOrganizationStore.getState().dismissNotice();
    expect(useOrganizationStore.getState().notice).toBeNull();
  });
});
