import { render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { resetOrganizations, team } from '@/testing/organization-fixtures';
import { TestRouter } from '@/testing/router';
import { useOrganizationStore } from '@/stores/organization-store';
import { acceptInvitation } from '../api/organizations';
import { useOrganizationList } from '../hooks/use-organizations';
import { AcceptInvitationPage } from './accept-invitation-page';

vi.mock('../api/organizations', () => ({ acceptInvitation: vi.fn(), listOrganizations: vi.fn() }));

const TOKEN = 'Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0';
const URL = `/invitations/accept?token=${TOKEN}`;

function renderAt(url: string = URL, onSignOut?: () => void) {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route path="/invitations/accept" element={<AcceptInvitationPage onSignOut={onSignOut} />} />
        <Route path="/organization/members" element={<p>Members page</p>} />
      </Routes>
    </TestRouter>,
  );
}

describe('AcceptInvitationPage', () => {
  beforeEach(() => {
    vi.mocked(acceptInvitation).mockReset();
    resetOrganizations();
    resetAuth();
  });
  afterEach(() => resetAuth());

  it('waits for the session check', () => {
    resetAuth('unknown');
    renderAt();
    expect(screen.getByRole('status')).toHaveTextContent('Checking your session…');
  });

  it('signed out: explains and links to sign in or register, keeping the token for afterwards', () => {
    renderAt();
    expect(screen.getByRole('heading', { name: 'You have been invited to an organization' })).toBeInTheDocument();
    const next = encodeURIComponent(URL);
    expect(screen.getByRole('link', { name: 'Sign in to accept' })).toHaveAttribute('href', `/login?next=${next}`);
    expect(screen.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', `/register?next=${next}`);
    expect(acceptInvitation).not.toHaveBeenCalled();
  });

  it('says so when the link has no token', () => {
    signInAs();
    renderAt('/invitations/accept');
    expect(screen.getByRole('heading', { name: 'This invitation link is incomplete' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Accept invitation' })).toBeNull();
  });

  it('signed in: accepts on request, switches to the organization and opens its members', async () => {
    signInAs();
    const joined = team({ role: 'MEMBER' });
    vi.mocked(acceptInvitation).mockResolvedValue(joined);
    const user = userEvent.setup();
    renderAt();
    expect(screen.getByText('ada@example.com')).toBeInTheDocument();
    // Nothing happens until the user asks.
    expect(acceptInvitation).not.toHaveBeenCalled();
    await user.click(screen.getByRole('button', { name: 'Accept invitation' }));
    expect(acceptInvitation).toHaveBeenCalledWith(TOKEN);
    expect(await screen.findByText('Members page')).toBeInTheDocument();
    expect(useOrganizationStore.getState().activeId).toBe(joined.id);
    expect(useOrganizationStore.getState().notice?.text).toBe('You joined “Acme Corp” as Member. You are now working in it.');
    expect(useOrganizationList.getState().organizations).toContainEqual(joined);
  });

  it.each([
    ['INVITATION_EXPIRED', 409, 'This invitation has expired', /Ask the person who invited you to resend it/],
    ['INVITATION_NOT_FOUND', 404, 'This invitation is no longer valid', /already used, the invitation was revoked/],
    ['INVITATION_EMAIL_MISMATCH', 403, 'This invitation is for another email address', /signed in as ada@example\.com/],
  ])('explains %s', async (code, status, title, text) => {
    signInAs();
    vi.mocked(acceptInvitation).mockRejectedValue(problem(status, code));
    const onSignOut = vi.fn();
    const user = userEvent.setup();
    renderAt(URL, onSignOut);
    await user.click(screen.getByRole('button', { name: 'Accept invitation' }));
    const heading = await screen.findByRole('heading', { name: title });
    await waitFor(() => expect(heading).toHaveFocus());
    expect(screen.getByRole('alert')).toHaveTextContent(text);
    expect(useOrganizationStore.getState().activeId).toBeNull();
    expect(screen.queryByRole('button', { name: 'Try again' })).toBeNull();
    const signOut = screen.queryByRole('button', { name: 'Sign out' });
    if (code === 'INVITATION_EMAIL_MISMATCH') {
      await user.click(signOut!);
      expect(onSignOut).toHaveBeenCalled();
    } else {
      expect(signOut).toBeNull();
    }
  });

  it('offers to try again after a failure that may pass', async () => {
    signInAs();
    vi.mocked(acceptInvitation).mockRejectedValueOnce(problem(409, 'MEMBER_LIMIT_REACHED')).mockResolvedValue(team());
    const user = userEvent.setup();
    renderAt();
    await user.click(screen.getByRole('button', { name: 'Accept invitation' }));
    expect(await screen.findByRole('heading', { name: 'The organization is full' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByText('Members page')).toBeInTheDocument();
  });
});
