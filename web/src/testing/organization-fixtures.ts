import { useOrganizationList } from '@/features/organizations/hooks/use-organizations';
import { useOrganizationStore } from '@/stores/organization-store';
import type { Invitation, Member, Organization } from '@/types';
import { USER } from './fixtures';

export const PERSONAL_ORG: Organization = {
  id: '00000000-0000-4000-8000-0000000000a0',
  name: 'Ada Lovelace',
  personal: true,
  status: 'active',
  role: 'OWNER',
  billingEmail: null,
  memberCount: 1,
  createdAt: '2025-01-01T00:00:00Z',
};

export const TEAM_ORG: Organization = {
  id: '00000000-0000-4000-8000-0000000000a1',
  name: 'Acme Corp',
  personal: false,
  status: 'active',
  role: 'ADMIN',
  billingEmail: 'billing@acme.test',
  memberCount: 4,
  createdAt: '2025-02-01T00:00:00Z',
};

export const OTHER_ORG: Organization = {
  ...TEAM_ORG,
  id: '00000000-0000-4000-8000-0000000000a2',
  name: 'Globex',
  role: 'MEMBER',
  billingEmail: null,
  memberCount: 2,
};

export function team(overrides: Partial<Organization> = {}): Organization {
  return { ...TEAM_ORG, ...overrides };
}

export const OWNER_MEMBER: Member = {
  userId: '00000000-0000-4000-8000-000000000009',
  email: 'olivia@acme.test',
  name: 'Olivia Owner',
  role: 'OWNER',
  joinedAt: '2025-02-01T00:00:00Z',
};

export function member(overrides: Partial<Member> = {}): Member {
  return {
    userId: '00000000-0000-4000-8000-000000000003',
    email: 'grace@acme.test',
    name: 'Grace Hopper',
    role: 'MEMBER',
    joinedAt: '2025-02-03T00:00:00Z',
    ...overrides,
  };
}

/** Olivia (owner, unless I am), the signed-in user Ada with `myRole`, Grace (member), Bill (billing), Alan (admin). */
export function teamMembers(myRole: Member['role'] = 'ADMIN'): Member[] {
  const me = member({ userId: USER.id, email: USER.email, name: USER.name ?? null, role: myRole, joinedAt: '2025-02-02T00:00:00Z' });
  return [
    // One owner: when it is me, Olivia is not in the list.
    ...(myRole === 'OWNER' ? [] : [OWNER_MEMBER]),
    me,
    member(),
    member({ userId: '00000000-0000-4000-8000-000000000004', email: 'bill@acme.test', name: 'Bill Payer', role: 'BILLING' }),
    member({ userId: '00000000-0000-4000-8000-000000000005', email: 'alan@acme.test', name: null, role: 'ADMIN' }),
  ];
}

export function invitation(overrides: Partial<Invitation> = {}): Invitation {
  return {
    id: '00000000-0000-4000-8000-0000000000b1',
    email: 'new@acme.test',
    role: 'MEMBER',
    status: 'pending',
    expiresAt: '2025-03-08T00:00:00Z',
    sendCount: 1,
    invitedBy: USER.id,
    createdAt: '2025-03-01T00:00:00Z',
    ...overrides,
  };
}

/** Forgets the active organization, the list and anything saved. */
export function resetOrganizations() {
  window.localStorage.clear();
  useOrganizationStore.setState({ activeId: null, notice: null });
  useOrganizationList.setState({ organizations: undefined, error: undefined, loading: false });
}
