import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { problem } from '@/testing/fixtures';
import { invitation } from '@/testing/organization-fixtures';
import { inviteMember } from '../api/organizations';
import { InviteForm } from './invite-form';

vi.mock('../api/organizations', () => ({ inviteMember: vi.fn() }));

function renderForm(role: 'OWNER' | 'ADMIN' = 'OWNER') {
  const onInvited = vi.fn();
  const onForbidden = vi.fn();
  render(<InviteForm viewerRole={role} onInvited={onInvited} onForbidden={onForbidden} />);
  return { onInvited, onForbidden, email: screen.getByLabelText('Email address'), role: screen.getByLabelText('Role') };
}

const send = () => screen.getByRole('button', { name: 'Send invitation' });

describe('InviteForm', () => {
  beforeEach(() => {
    vi.mocked(inviteMember).mockReset();
  });

  it('checks the address before sending', async () => {
    const user = userEvent.setup();
    const { email } = renderForm();
    await user.click(send());
    expect(email).toHaveAccessibleDescription(expect.stringContaining('Enter the email address of the person to invite.'));
    expect(email).toHaveFocus();
    await user.type(email, 'not an address');
    await user.click(send());
    expect(email).toHaveAccessibleDescription(expect.stringContaining('Enter an email address like name@example.com.'));
    expect(inviteMember).not.toHaveBeenCalled();
  });

  it("shows the server's field errors next to their fields and focuses the first", async () => {
    vi.mocked(inviteMember).mockRejectedValue(
      problem(422, 'VALIDATION_FAILED', [
        { field: 'email', message: 'must be an email address' },
        { field: 'role', message: 'must be ADMIN, MEMBER or BILLING' },
        { field: 'other', message: 'is odd' },
      ]),
    );
    const user = userEvent.setup();
    const { email, role } = renderForm();
    await user.type(email, 'grace@acme');
    await user.type(email, '.test');
    await user.selectOptions(role, 'BILLING');
    await user.click(send());
    expect(inviteMember).toHaveBeenCalledWith({ email: 'grace@acme.test', role: 'BILLING' });
    await waitFor(() => expect(email).toHaveAttribute('aria-invalid', 'true'));
    expect(email).toHaveAccessibleDescription(expect.stringContaining('Must be an email address.'));
    expect(role).toHaveAttribute('aria-invalid', 'true');
    expect(role).toHaveAccessibleDescription(expect.stringContaining('Must be ADMIN, MEMBER or BILLING.'));
    expect(email).toHaveFocus();
    expect(screen.getByRole('alert')).toHaveTextContent('other: is odd');
  });

  it.each([
    ['ALREADY_MEMBER', 'This person is already a member of the organization.'],
    ['INVITATION_PENDING', 'An invitation to this address is already pending. Resend it from the list instead.'],
  ])('puts %s on the email field', async (code, text) => {
    vi.mocked(inviteMember).mockRejectedValue(problem(409, code));
    const user = userEvent.setup();
    const { email } = renderForm();
    await user.type(email, 'grace@acme.test');
    await user.click(send());
    await waitFor(() => expect(email).toHaveAccessibleDescription(expect.stringContaining(text)));
    expect(email).toHaveFocus();
  });

  it.each([
    ['MEMBER_LIMIT_REACHED', 'as many members and pending invitations as its plan allows'],
    ['PERSONAL_ORGANIZATION', 'A personal organization has exactly one member'],
  ])('shows %s for the whole form', async (code, text) => {
    vi.mocked(inviteMember).mockRejectedValue(problem(409, code));
    const user = userEvent.setup();
    const { email } = renderForm();
    await user.type(email, 'grace@acme.test');
    await user.click(send());
    const alert = await screen.findByText(new RegExp(text));
    expect(screen.getByRole('alert')).toContainElement(alert);
    expect(screen.getByRole('alert')).toHaveFocus();
    expect(email).not.toHaveAttribute('aria-invalid');
  });

  it('hands a 403 to the page, which reloads to match the role', async () => {
    const forbidden = problem(403, 'ORGANIZATION_ROLE_FORBIDDEN');
    vi.mocked(inviteMember).mockRejectedValue(forbidden);
    const user = userEvent.setup();
    const { email, onForbidden, onInvited } = renderForm('ADMIN');
    await user.type(email, 'grace@acme.test');
    await user.click(send());
    await waitFor(() => expect(onForbidden).toHaveBeenCalledWith(forbidden));
    expect(onInvited).not.toHaveBeenCalled();
  });

  it('sends the invitation, says so and clears the address', async () => {
    const sent = invitation({ email: 'grace@acme.test' });
    vi.mocked(inviteMember).mockResolvedValue(sent);
    const user = userEvent.setup();
    const { email, onInvited } = renderForm('ADMIN');
    await user.type(email, ' grace@acme.test ');
    await user.click(send());
    expect(await screen.findByText('Invitation sent to grace@acme.test. The link in it works for 7 days.')).toBeInTheDocument();
    expect(inviteMember).toHaveBeenCalledWith({ email: 'grace@acme.test', role: 'MEMBER' });
    expect(onInvited).toHaveBeenCalledWith(sent);
    expect(email).toHaveValue('');
  });
});
