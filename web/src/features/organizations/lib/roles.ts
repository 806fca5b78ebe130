import type { AssignableRole, Organization, OrganizationRole } from '@/types';

// The role matrix of docs/permissions.md, for deciding which controls to show. The server checks every action
// again (403 ORGANIZATION_ROLE_FORBIDDEN), so these only spare people buttons that cannot work.

export const ROLE_LABELS: Record<OrganizationRole, string> = {
  OWNER: 'Owner',
  ADMIN: 'Admin',
  MEMBER: 'Member',
  BILLING: 'Billing',
};

export const ROLE_DESCRIPTIONS: Record<OrganizationRole, string> = {
  OWNER: 'Everything, including deleting the organization and transferring ownership.',
  ADMIN: 'Keys, invoices, settings, and managing members and billing-only members.',
  MEMBER: 'API keys and usage.',
  BILLING: 'Plan, payment methods and invoices; usage, but not keys.',
};

const ASSIGNABLE: readonly AssignableRole[] = ['ADMIN', 'MEMBER', 'BILLING'];

/** Rename the organization and set its billing email. */
export function canManageSettings(role: OrganizationRole): boolean {
  return role === 'OWNER' || role === 'ADMIN';
}

/** Invite, resend and revoke invitations; change roles; remove members (an ADMIN only MEMBER and BILLING ones). */
export function canManageMembers(role: OrganizationRole): boolean {
  return role === 'OWNER' || role === 'ADMIN';
}

/** Whether `actor` may change the role of, remove, or manage the invitation of someone whose role is `target`. */
export function mayManageRole(actor: OrganizationRole, target: OrganizationRole): boolean {
  if (actor === 'OWNER') return target !== 'OWNER';
  if (actor === 'ADMIN') return target === 'MEMBER' || target === 'BILLING';
  return false;
}

/** The roles `actor` may give, in an invitation or a role change. */
export function assignableRoles(actor: OrganizationRole): AssignableRole[] {
  return ASSIGNABLE.filter((r) => mayManageRole(actor, r));
}

export function canTransfer(org: Organization): boolean {
  return org.role === 'OWNER' && !org.personal;
}

export function canDelete(org: Organization): boolean {
  return org.role === 'OWNER' && !org.personal;
}

/** The owner transfers ownership first; a personal organization cannot be left. */
export function canLeave(org: Organization): boolean {
  return org.role !== 'OWNER' && !org.personal;
}

/** How an organization is named in the switcher and headings: the personal one is "Personal". */
export function organizationLabel(org: Pick<Organization, 'name' | 'personal'>): string {
  return org.personal ? 'Personal' : org.name;
}
