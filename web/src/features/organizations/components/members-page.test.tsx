import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs, USER } from '@/testing/fixtures';
import { invitation, member, PERSONAL_ORG, resetOrganizations, team, teamMembers } from '@/testing/organization-fixtures';
import { TestRouter } from '@/testing/router';
import type { Member, OrganizationRole } from '@/types';
import {
  changeMemberRole,
  getOrganization,
  listInvitations,
  listMembers,
  listOrganizations,
  removeMember,
  resendInvitation,
  revokeInvitation,
} from '../api/organizations';
import { MembersPage } from './members-page';

vi.mock('../api/organizations', () => ({
  getOrganization: vi.fn(),
  listMembers: vi.fn(),
  listInvitations: vi.fn(),
  listOrganizations: vi.fn(),
  changeMemberRole: vi.fn(),
  removeMember: vi.fn(),
  inviteMember: vi.fn(),
  resendInvitation: vi.fn(),
  revokeInvitation: vi.fn(),
  createOrganization: vi.fn(),
}));

function as(role: OrganizationRole, members: Member[] = teamMembers(role)) {
  vi.mocked(getOrganization).mockResolvedValue(team({ role }));
  vi.mocked(listMembers).mockResolvedValue(members);
}

function renderPage() {
  return render(
    <TestRouter url="/organization/members">
      <MembersPage />
    </TestRouter>,
  );
}

async function rows() {
  const table = await screen.findByRole('table', { name: 'Members' });
  return within(table).getAllByTestId('member-row');
}

function row(rowsList: HTMLElement[], email: string): HTMLElement {
  const found = rowsList.find((r) => within(r).queryByRole('rowheader', { name: new RegExp(email) }));
  if (!found) throw new Error(`no row for ${email}`);
  return found;
}

const roleSelect = (r: HTMLElement) => within(r).queryByRole('combobox', { name: /Role of/ });
const removeButton = (r: HTMLElement) => within(r).queryByRole('button', { name: /Remove/ });
const optionsOf = (select: HTMLElement) => within(select).getAllByRole('option').map((o) => o.textContent);

describe('MembersPage', () => {
  beforeEach(() => {
    vi.resetAllMocks();
    vi.mocked(listInvitations).mockResolvedValue([invitation(), invitation({ id: '00000000-0000-4000-8000-0000000000b2', email: 'boss@acme.test', role: 'ADMIN', status: 'expired', sendCount: 2 })]);
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG, team()]);
    resetOrganizations();
    signInAs();
  });
  afterEach(() => resetAuth());

  it('lets the owner change any other role, remove anyone else and invite admins', async () => {
    as('OWNER');
    renderPage();
    const list = await rows();
    expect(list).toHaveLength(4);
    const me = row(list, USER.email);
    expect(me).toHaveTextContent('You');
    expect(roleSelect(me)).toBeNull();
    expect(removeButton(me)).toBeNull();
    for (const email of ['grace@acme.test', 'bill@acme.test', 'alan@acme.test']) {
      const r = row(list, email);
      expect(optionsOf(roleSelect(r)!)).toEqual(['Admin', 'Member', 'Billing']);
      expect(removeButton(r)).toBeInTheDocument();
    }
    const invite = await screen.findByRole('form', { name: 'Invite a member' });
    expect(optionsOf(within(invite).getByLabelText('Role'))).toEqual(['Admin', 'Member', 'Billing']);
    // The owner manages admin invitations too.
    const invitations = await screen.findAllByTestId('invitation-row');
    expect(within(invitations[1]!).getByRole('button', { name: 'Revoke invitation to boss@acme.test' })).toBeInTheDocument();
  });

  it('lets an admin manage members and billing members only, and invite only those roles', async () => {
    as('ADMIN');
    renderPage();
    const list = await rows();
    for (const email of ['olivia@acme.test', 'alan@acme.test', USER.email]) {
      expect(roleSelect(row(list, email))).toBeNull();
      expect(removeButton(row(list, email))).toBeNull();
    }
    expect(row(list, 'olivia@acme.test')).toHaveTextContent('Owner');
    expect(row(list, 'alan@acme.test')).toHaveTextContent('Admin');
    for (const email of ['grace@acme.test', 'bill@acme.test']) {
      expect(optionsOf(roleSelect(row(list, email))!)).toEqual(['Member', 'Billing']);
      expect(removeButton(row(list, email))).toBeInTheDocument();
    }
    const invite = await screen.findByRole('form', { name: 'Invite a member' });
    expect(optionsOf(within(invite).getByLabelText('Role'))).toEqual(['Member', 'Billing']);
    const invitations = await screen.findAllByTestId('invitation-row');
    expect(within(invitations[0]!).getByRole('button', { name: 'Resend invitation to new@acme.test' })).toBeInTheDocument();
    expect(within(invitations[1]!).queryByRole('button')).toBeNull();
    expect(invitations[1]).toHaveTextContent('Expired');
  });

  it.each(['MEMBER', 'BILLING'] as const)('shows a %s the members without any controls or invitations', async (role) => {
    as(role);
    renderPage();
    const list = await rows();
    for (const r of list) {
      expect(roleSelect(r)).toBeNull();
      expect(removeButton(r)).toBeNull();
    }
    expect(screen.getByText('Only the owner and admins can invite people, change roles or remove members.')).toBeInTheDocument();
    expect(screen.queryByRole('form', { name: 'Invite a member' })).toBeNull();
    expect(listInvitations).not.toHaveBeenCalled();
  });

  it('changes a role after Save and shows the new list', async () => {
    as('ADMIN');
    vi.mocked(changeMemberRole).mockResolvedValue([]);
    const user = userEvent.setup();
    renderPage();
    const grace = row(await rows(), 'grace@acme.test');
    // Nothing is sent until the change is saved.
    expect(within(grace).queryByRole('button', { name: /Save/ })).toBeNull();
    vi.mocked(listMembers).mockResolvedValue(teamMembers('ADMIN').map((m) => (m.email === 'grace@acme.test' ? { ...m, role: 'BILLING' } : m)));
    await user.selectOptions(roleSelect(grace)!, 'BILLING');
    expect(changeMemberRole).not.toHaveBeenCalled();
    await user.click(within(grace).getByRole('button', { name: 'Save role of grace@acme.test' }));
    expect(changeMemberRole).toHaveBeenCalledWith(member().userId, 'BILLING');
    expect(await screen.findByTestId('members-message')).toHaveTextContent('Changed the role of Grace Hopper to Billing.');
    await waitFor(() => expect(roleSelect(row(screen.getAllByTestId('member-row'), 'grace@acme.test'))).toHaveValue('BILLING'));
    expect(within(row(screen.getAllByTestId('member-row'), 'grace@acme.test')).queryByRole('button', { name: /Save/ })).toBeNull();
  });

  it('handles a 403 from the server: says why and reloads to match the role', async () => {
    as('ADMIN');
    vi.mocked(changeMemberRole).mockRejectedValue(
      Object.assign(problem(403, 'ORGANIZATION_ROLE_FORBIDDEN'), {
        detail: 'This needs the role OWNER or ADMIN in the organization (yours: MEMBER).',
      }),
    );
    const user = userEvent.setup();
    renderPage();
    const grace = row(await rows(), 'grace@acme.test');
    // Demoted meanwhile: the next answers say MEMBER.
    vi.mocked(getOrganization).mockResolvedValue(team({ role: 'MEMBER' }));
    vi.mocked(listMembers).mockResolvedValue(teamMembers('MEMBER'));
    await user.selectOptions(roleSelect(grace)!, 'BILLING');
    await user.click(within(grace).getByRole('button', { name: /Save/ }));
    expect(await screen.findByTestId('members-message')).toHaveTextContent(
      'This needs the role OWNER or ADMIN in the organization (yours: MEMBER). The page has been reloaded to show what your role allows.',
    );
    await waitFor(() => expect(screen.queryByRole('form', { name: 'Invite a member' })).toBeNull());
    for (const r of screen.getAllByTestId('member-row')) expect(roleSelect(r)).toBeNull();
    expect(getOrganization).toHaveBeenCalledTimes(2);
  });

  it('removes a member after confirmation', async () => {
    as('OWNER');
    vi.mocked(removeMember).mockResolvedValue();
    const user = userEvent.setup();
    renderPage();
    const bill = row(await rows(), 'bill@acme.test');
    await user.click(removeButton(bill)!);
    const dialog = screen.getByRole('dialog', { name: 'Remove member?' });
    expect(dialog).toHaveTextContent('Bill Payer (bill@acme.test) loses access');
    vi.mocked(listMembers).mockResolvedValue(teamMembers('OWNER').filter((m) => m.email !== 'bill@acme.test'));
    await user.click(within(dialog).getByRole('button', { name: 'Remove member' }));
    expect(removeMember).toHaveBeenCalledWith('00000000-0000-4000-8000-000000000004');
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByTestId('members-message')).toHaveTextContent('Removed Bill Payer from the organization.');
    await waitFor(() => expect(screen.getAllByTestId('member-row')).toHaveLength(3));
  });

  it('resends and revokes invitations', async () => {
    as('OWNER');
    vi.mocked(resendInvitation).mockResolvedValue();
    vi.mocked(revokeInvitation).mockRejectedValue(problem(404, 'INVITATION_NOT_FOUND'));
    const user = userEvent.setup();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Resend invitation to new@acme.test' }));
    expect(resendInvitation).toHaveBeenCalledWith(invitation().id);
    expect(await screen.findByTestId('invitations-message')).toHaveTextContent('Sent the invitation to new@acme.test again');

    await user.click(screen.getByRole('button', { name: 'Revoke invitation to boss@acme.test' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke invitation?' });
    await user.click(within(dialog).getByRole('button', { name: 'Revoke invitation' }));
    // Already gone counts as done.
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(screen.getByTestId('invitations-message')).toHaveTextContent('Revoked the invitation to boss@acme.test.');
  });

  it('explains a personal organization and offers a team organization instead of invitations', async () => {
    vi.mocked(getOrganization).mockResolvedValue(PERSONAL_ORG);
    vi.mocked(listMembers).mockResolvedValue([member({ userId: USER.id, email: USER.email, role: 'OWNER' })]);
    renderPage();
    const note = await screen.findByTestId('personal-organization-note');
    expect(note).toHaveTextContent('Personal organizations have exactly one member');
    expect(within(note).getByRole('button', { name: 'Create a team organization' })).toBeInTheDocument();
    expect(await rows()).toHaveLength(1);
    expect(screen.queryByRole('form', { name: 'Invite a member' })).toBeNull();
    expect(listInvitations).not.toHaveBeenCalled();
  });

  it('shows an error with a retry when the members cannot be loaded', async () => {
    vi.mocked(getOrganization).mockResolvedValue(team());
    vi.mocked(listMembers).mockRejectedValueOnce(problem(503, 'SERVICE_UNAVAILABLE')).mockResolvedValue(teamMembers('ADMIN'));
    const user = userEvent.setup();
    renderPage();
    expect(await screen.findByText('Could not load the members')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await rows()).toHaveLength(5);
  });
});
