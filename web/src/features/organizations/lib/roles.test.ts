import { describe, expect, it } from 'vitest';
import { PERSONAL_ORG, team } from '@/testing/organization-fixtures';
import { assignableRoles, canDelete, canLeave, canManageMembers, canManageSettings, canTransfer, mayManageRole, organizationLabel } from './roles';

describe('organization roles (docs/permissions.md)', () => {
  it('lets the owner manage everyone but the owner, an admin only members and billing members', () => {
    expect(['OWNER', 'ADMIN', 'MEMBER', 'BILLING'].map((t) => mayManageRole('OWNER', t as 'OWNER'))).toEqual([false, true, true, true]);
    expect(['OWNER', 'ADMIN', 'MEMBER', 'BILLING'].map((t) => mayManageRole('ADMIN', t as 'OWNER'))).toEqual([false, false, true, true]);
    expect(mayManageRole('MEMBER', 'BILLING')).toBe(false);
    expect(mayManageRole('BILLING', 'MEMBER')).toBe(false);
    expect(assignableRoles('OWNER')).toEqual(['ADMIN', 'MEMBER', 'BILLING']);
    expect(assignableRoles('ADMIN')).toEqual(['MEMBER', 'BILLING']);
    expect(assignableRoles('MEMBER')).toEqual([]);
  });

  it('matches the table for settings, members, transfer, delete and leave', () => {
    expect(['OWNER', 'ADMIN', 'MEMBER', 'BILLING'].map((r) => canManageSettings(r as 'OWNER'))).toEqual([true, true, false, false]);
    expect(['OWNER', 'ADMIN', 'MEMBER', 'BILLING'].map((r) => canManageMembers(r as 'OWNER'))).toEqual([true, true, false, false]);
    const owner = team({ role: 'OWNER' });
    expect([canTransfer(owner), canDelete(owner), canLeave(owner)]).toEqual([true, true, false]);
    for (const role of ['ADMIN', 'MEMBER', 'BILLING'] as const) {
      const org = team({ role });
      expect([canTransfer(org), canDelete(org), canLeave(org)]).toEqual([false, false, true]);
    }
    // A personal organization is neither deleted, transferred nor left on its own.
    expect([canTransfer(PERSONAL_ORG), canDelete(PERSONAL_ORG), canLeave(PERSONAL_ORG)]).toEqual([false, false, false]);
    expect(organizationLabel(PERSONAL_ORG)).toBe('Personal');
    expect(organizationLabel(team())).toBe('Acme Corp');
  });
});
