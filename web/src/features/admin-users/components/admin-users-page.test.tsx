import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useLocation } from 'react-router-dom';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { useAuthStore } from '@/stores/auth-store';
import { adminPlan, FREE, STARTER } from '@/testing/billing-fixtures';
import { problem, resetAuth, signInAs, USER } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { AdminUser, AdminUserDetail, AdminUserPage, ImpersonationToken } from '@/types';
import { deleteUser, getUser, listPlans, listUsers, startImpersonation, suspendUser } from '../api/admin-users';
import { NO_FILTER } from '../lib/user-filter';
import { AdminUsersPage } from './admin-users-page';

vi.mock('../api/admin-users', () => ({
  listUsers: vi.fn(),
  getUser: vi.fn(),
  listPlans: vi.fn(),
  suspendUser: vi.fn(),
  reactivateUser: vi.fn(),
  changeUserRole: vi.fn(),
  resetTwoFactor: vi.fn(),
  revokeSessions: vi.fn(),
  resendVerification: vi.fn(),
  deleteUser: vi.fn(),
  startImpersonation: vi.fn(),
}));

const ADMIN_ID = '00000000-0000-4000-8000-0000000000ad';
const GRACE_ID = '00000000-0000-4000-8000-000000000003';

const GRACE: AdminUser = {
  id: GRACE_ID,
  email: 'grace@acme.test',
  name: 'Grace Hopper',
  role: 'USER',
  status: 'active',
  statusReason: null,
  emailVerified: true,
  twoFactor: true,
  createdAt: '2025-02-03T00:00:00Z',
  lastLoginAt: '2025-03-01T09:00:00Z',
  suspendedAt: null,
  plan: { slug: 'starter', name: 'Starter' },
};

const ALAN: AdminUser = {
  ...GRACE,
  id: '00000000-0000-4000-8000-000000000005',
  email: 'alan@example.com',
  name: null,
  status: 'suspended',
  statusReason: 'Chargeback',
  emailVerified: false,
  twoFactor: false,
  lastLoginAt: null,
  suspendedAt: '2025-03-02T00:00:00Z',
  plan: null,
};

function page(items: AdminUser[], total = items.length): AdminUserPage {
  return { items, total, page: 1, pageSize: 25 };
}

const ACME = {
  id: '00000000-0000-4000-8000-0000000000a1',
  name: 'Acme Corp',
  personal: false,
  status: 'active',
  statusReason: null,
  createdAt: '2025-02-01T00:00:00Z',
  owner: { id: GRACE_ID, email: GRACE.email, name: GRACE.name },
  memberCount: 4,
  plan: { slug: 'starter', name: 'Starter' },
  role: 'OWNER',
} as AdminUserDetail['organizations'][number];

const DETAIL: AdminUserDetail = {
  user: { ...GRACE, company: 'Acme', lockedUntil: null } as AdminUserDetail['user'],
  organizations: [
    { ...ACME, id: '00000000-0000-4000-8000-0000000000a0', name: 'Grace Hopper', personal: true, memberCount: 1 },
    ACME,
  ],
  subscription: {
    organizationId: '00000000-0000-4000-8000-0000000000a0',
    plan: { slug: 'starter', name: 'Starter' },
    status: 'active',
    source: 'stripe',
    interval: 'month',
    currentPeriodStart: '2025-03-01T00:00:00Z',
    currentPeriodEnd: '2025-04-01T00:00:00Z',
    cancelAtPeriodEnd: false,
    includedUnits: 50000,
    unitsUsed: 12500,
    requests: 13000,
  } as AdminUserDetail['subscription'],
  keys: [
    {
      id: '11111111-1111-4111-8111-111111111111',
      organizationId: ACME.id,
      name: 'Production server',
      prefix: 'tg_live_3xAmPlE0',
      environment: 'live',
      status: 'active',
      createdAt: '2025-02-05T00:00:00Z',
      lastUsedAt: null,
    },
  ] as AdminUserDetail['keys'],
  sessions: [
    {
      id: 's1',
      createdAt: '2025-03-01T09:00:00Z',
      lastUsedAt: '2025-03-01T10:00:00Z',
      expiresAt: '2025-03-31T09:00:00Z',
      ip: '203.0.113.9',
      userAgent: 'Firefox on Linux',
    },
  ] as AdminUserDetail['sessions'],
  recentAudit: [
    {
      id: '42',
      createdAt: '2025-03-01T09:00:00Z',
      action: 'auth.login',
      actorType: 'user',
      actorUserId: GRACE_ID,
      outcome: 'success',
      reason: null,
      ip: '203.0.113.9',
    },
  ] as AdminUserDetail['recentAudit'],
};

function Where() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

function renderAt(url: string) {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route path="/admin/users/:id?" element={<AdminUsersPage />} />
        <Route path="/dashboard" element={<h1>Dashboard</h1>} />
      </Routes>
      <Where />
    </TestRouter>,
  );
}

describe('AdminUsersPage', () => {
  beforeEach(() => {
    resetAuth();
    signInAs({ id: ADMIN_ID, role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(listUsers).mockResolvedValue(page([GRACE, ALAN], 2));
    vi.mocked(listPlans).mockResolvedValue([adminPlan(FREE), adminPlan(STARTER)]);
    vi.mocked(getUser).mockResolvedValue(DETAIL);
  });

  it('lists users with status, role, plan and the total', async () => {
    renderAt('/admin/users');
    const rows = await screen.findAllByTestId('admin-user');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByRole('link', { name: 'Grace Hopper' })).toHaveAttribute('href', `/admin/users/${GRACE_ID}`);
    expect(rows[0]).toHaveTextContent('grace@acme.test');
    expect(rows[0]).toHaveTextContent('Starter');
    expect(rows[1]).toHaveTextContent('alan@example.com');
    expect(rows[1]).toHaveTextContent('Suspended');
    expect(rows[1]).toHaveTextContent('Unverified');
    expect(screen.getByText(/1–2 of 2 users/)).toBeInTheDocument();
    expect(listUsers).toHaveBeenCalledWith(NO_FILTER, expect.any(AbortSignal));
  });

  it('sends the filters: selects at once, the search once typing pauses', async () => {
    const user = userEvent.setup();
    renderAt('/admin/users');
    await screen.findAllByTestId('admin-user');

    await user.selectOptions(screen.getByLabelText('Status'), 'suspended');
    await waitFor(() => expect(listUsers).toHaveBeenLastCalledWith({ ...NO_FILTER, status: 'suspended' }, expect.any(AbortSignal)));
    await user.selectOptions(screen.getByLabelText('Plan'), 'starter');
    await user.selectOptions(screen.getByLabelText('Email'), 'false');
    await waitFor(() =>
      expect(listUsers).toHaveBeenLastCalledWith(
        { ...NO_FILTER, status: 'suspended', plan: 'starter', verified: 'false' },
        expect.any(AbortSignal),
      ),
    );

    const search = screen.getByLabelText('Search');
    await user.type(search, 'grace');
    // Not one request per keystroke.
    await waitFor(() => expect(listUsers).toHaveBeenLastCalledWith(expect.objectContaining({ q: 'grace' }), expect.any(AbortSignal)));
    const queries = vi.mocked(listUsers).mock.calls.map(([f]) => f.q);
    expect(queries).not.toContain('g');
    expect(queries).not.toContain('gra');
    expect(search).toHaveFocus();
  });

  it('says when nothing matches, and when there are no users at all', async () => {
    const user = userEvent.setup();
    vi.mocked(listUsers).mockResolvedValue(page([]));
    renderAt('/admin/users?role=ADMIN');
    expect(await screen.findByText('No users match these filters')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Clear the filters' }));
    expect(await screen.findByText('No users yet')).toBeInTheDocument();
    expect(listUsers).toHaveBeenLastCalledWith(NO_FILTER, expect.any(AbortSignal));
  });

  it('shows a load error with a retry, and explains the two-factor requirement', async () => {
    const user = userEvent.setup();
    vi.mocked(listUsers).mockRejectedValueOnce(problem(500, 'INTERNAL'));
    renderAt('/admin/users');
    expect(await screen.findByText('Could not load the users')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findAllByTestId('admin-user')).toHaveLength(2);

    vi.mocked(listUsers).mockRejectedValue(problem(403, 'ADMIN_2FA_REQUIRED'));
    renderAt('/admin/users?q=x');
    expect(await screen.findByTestId('admin-2fa-required')).toHaveTextContent('Turn on two-factor authentication first');
  });

  it('opens the details at /admin/users/{id}: profile, organizations, usage, keys, sessions and activity', async () => {
    renderAt(`/admin/users/${GRACE_ID}`);
    const drawer = await screen.findByRole('dialog', { name: 'Grace Hopper' });
    await within(drawer).findByText('Profile');
    expect(getUser).toHaveBeenCalledWith(GRACE_ID, expect.any(AbortSignal));
    expect(within(drawer).getByRole('link', { name: 'Acme Corp' })).toHaveAttribute('href', `/admin/organizations/${ACME.id}`);
    expect(within(drawer).getByRole('progressbar', { name: 'Quota used' })).toHaveAttribute('aria-valuenow', '25');
    expect(drawer).toHaveTextContent('12,500 / 50,000');
    expect(drawer).toHaveTextContent('Production server');
    expect(drawer).toHaveTextContent('Firefox on Linux');
    expect(drawer).toHaveTextContent('auth.login');
  });

  it('suspends only with a reason, and sends it', async () => {
    const user = userEvent.setup();
    vi.mocked(suspendUser).mockResolvedValue({ ...DETAIL, user: { ...DETAIL.user, status: 'suspended' } });
    renderAt(`/admin/users/${GRACE_ID}`);
    const drawer = await screen.findByRole('dialog', { name: 'Grace Hopper' });
    await user.click(await within(drawer).findByRole('button', { name: 'Suspend' }));

    const confirm = screen.getByRole('dialog', { name: 'Suspend Grace Hopper?' });
    const reason = within(confirm).getByLabelText(/Reason/);
    expect(reason).toHaveFocus();
    await user.click(within(confirm).getByRole('button', { name: 'Suspend user' }));
    expect(suspendUser).not.toHaveBeenCalled();
    expect(reason).toHaveAccessibleDescription(expect.stringContaining('Say why'));

    await user.type(reason, '  Fraud report #123 ');
    await user.click(within(confirm).getByRole('button', { name: 'Suspend user' }));
    await waitFor(() => expect(suspendUser).toHaveBeenCalledWith(GRACE_ID, 'Fraud report #123'));
    await waitFor(() => expect(screen.queryByRole('dialog', { name: 'Suspend Grace Hopper?' })).not.toBeInTheDocument());
    expect(within(drawer).getByRole('status')).toHaveTextContent('Suspended Grace Hopper. Their sessions have ended.');
    // The details and the list are fetched again.
    await waitFor(() => expect(getUser).toHaveBeenCalledTimes(2));
  });

  it("shows the server's 409 detail in the confirmation and keeps it open", async () => {
    const user = userEvent.setup();
    vi.mocked(deleteUser).mockRejectedValue(
      new ApiError({
        status: 409,
        code: 'OWNS_ORGANIZATIONS',
        title: 'Conflict',
        detail: 'Transfer or delete the team organizations you own before deleting your account.',
      }),
    );
    renderAt(`/admin/users/${GRACE_ID}`);
    const drawer = await screen.findByRole('dialog', { name: 'Grace Hopper' });
    await user.click(await within(drawer).findByRole('button', { name: 'Delete' }));
    const confirm = screen.getByRole('dialog', { name: 'Delete Grace Hopper?' });
    expect(confirm).toHaveTextContent('They own Acme Corp');
    await user.type(within(confirm).getByLabelText(/Reason/), 'GDPR erasure request');
    await user.click(within(confirm).getByRole('button', { name: 'Delete user' }));

    const alert = await within(confirm).findByText(/cannot be deleted yet/);
    expect(alert).toHaveTextContent('Grace Hopper owns Acme Corp');
    expect(alert).toHaveTextContent('Transfer or delete the team organizations you own');
    expect(deleteUser).toHaveBeenCalledWith(GRACE_ID, 'GDPR erasure request');
    expect(screen.getByRole('dialog', { name: 'Delete Grace Hopper?' })).toBeInTheDocument();
  });

  it('shows any other refusal by its detail, e.g. ADMIN_SELF_ACTION', async () => {
    const user = userEvent.setup();
    vi.mocked(suspendUser).mockRejectedValue(
      new ApiError({
        status: 409,
        code: 'ADMIN_SELF_ACTION',
        title: 'Conflict',
        detail: 'Administrators cannot do this to their own account; ask another administrator.',
      }),
    );
    renderAt(`/admin/users/${GRACE_ID}`);
    const drawer = await screen.findByRole('dialog', { name: 'Grace Hopper' });
    await user.click(await within(drawer).findByRole('button', { name: 'Suspend' }));
    const confirm = screen.getByRole('dialog', { name: 'Suspend Grace Hopper?' });
    await user.type(within(confirm).getByLabelText(/Reason/), 'Testing');
    await user.click(within(confirm).getByRole('button', { name: 'Suspend user' }));
    expect(await within(confirm).findByText('Administrators cannot do this to their own account; ask another administrator.')).toBeInTheDocument();
  });

  it('hides the actions an administrator cannot take on their own account', async () => {
    vi.mocked(getUser).mockResolvedValue({ ...DETAIL, user: { ...DETAIL.user, id: ADMIN_ID, email: USER.email } });
    renderAt(`/admin/users/${ADMIN_ID}`);
    const drawer = await screen.findByRole('dialog', { name: 'Grace Hopper' });
    const actions = await within(drawer).findByRole('group', { name: 'Actions' });
    expect(within(actions).queryByRole('button', { name: 'Suspend' })).not.toBeInTheDocument();
    expect(within(actions).queryByRole('button', { name: 'Delete' })).not.toBeInTheDocument();
    expect(within(actions).getByRole('button', { name: 'Revoke sessions' })).toBeInTheDocument();
    expect(drawer).toHaveTextContent('This is your account');
  });

  it('opens a user from the list at a linkable URL, and closing keeps the filters', async () => {
    const user = userEvent.setup();
    renderAt('/admin/users?status=active');
    const rows = await screen.findAllByTestId('admin-user');
    const link = within(rows[0]!).getByRole('link', { name: 'Grace Hopper' });
    expect(link).toHaveAttribute('href', `/admin/users/${GRACE_ID}?status=active`);
    await user.click(link);
    expect(await screen.findByRole('dialog', { name: 'Grace Hopper' })).toBeInTheDocument();
    expect(screen.getByTestId('location')).toHaveTextContent(`/admin/users/${GRACE_ID}?status=active`);
    // The list stays behind the drawer, not fetched again.
    expect(listUsers).toHaveBeenCalledTimes(1);

    await user.keyboard('{Escape}');
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByTestId('location')).toHaveTextContent('/admin/users?status=active');
  });

  it('says when the user does not exist', async () => {
    vi.mocked(getUser).mockRejectedValue(problem(404, 'USER_NOT_FOUND'));
    renderAt('/admin/users/00000000-0000-4000-8000-00000000dead');
    expect(await screen.findByText('No such user')).toBeInTheDocument();
  });

  it('views as the customer: asks for a reason and a current code, sends them, and switches to their dashboard', async () => {
    const user = userEvent.setup();
    const token: ImpersonationToken = {
      accessToken: 'customer-token',
      tokenType: 'Bearer',
      expiresIn: 900,
      expiresAt: '2025-03-01T09:15:00Z',
      impersonationId: '00000000-0000-4000-8000-0000000000f1',
      user: { id: GRACE_ID, email: GRACE.email, name: GRACE.name },
    };
    vi.mocked(startImpersonation).mockRejectedValueOnce(problem(400, 'INVALID_MFA_CODE')).mockResolvedValue(token);
    const adminToken = useAuthStore.getState().accessToken;
    renderAt(`/admin/users/${GRACE_ID}`);
    const drawer = await screen.findByRole('dialog', { name: 'Grace Hopper' });
    await user.click(await within(drawer).findByRole('button', { name: 'View as customer' }));
    const dialog = screen.getByRole('dialog', { name: 'View as Grace Hopper?' });
    expect(dialog).toHaveTextContent('read-only');
    const reason = within(dialog).getByLabelText(/Reason/);
    const code = within(dialog).getByLabelText(/Authenticator code/);
    expect(reason).toHaveFocus();

    // Both are required.
    await user.click(within(dialog).getByRole('button', { name: 'View as customer' }));
    expect(startImpersonation).not.toHaveBeenCalled();
    expect(reason).toHaveAccessibleDescription(expect.stringContaining('Say why'));
    expect(code).toHaveAccessibleDescription(expect.stringContaining('6-digit code'));
    await user.type(reason, '  Ticket #42: dashboard shows no keys ');
    await user.click(within(dialog).getByRole('button', { name: 'View as customer' }));
    expect(startImpersonation).not.toHaveBeenCalled();
    expect(code).toHaveFocus();

    await user.type(code, '123 456');
    await user.click(within(dialog).getByRole('button', { name: 'View as customer' }));
    await waitFor(() => expect(code).toHaveAccessibleDescription(expect.stringContaining("That code didn't work")));
    expect(startImpersonation).toHaveBeenLastCalledWith(GRACE_ID, '123456', 'Ticket #42: dashboard shows no keys');
    expect(useAuthStore.getState().impersonation).toBeNull();

    await user.click(within(dialog).getByRole('button', { name: 'View as customer' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent('/dashboard'));
    const view = useAuthStore.getState().impersonation;
    expect(view?.accessToken).toBe('customer-token');
    expect(view?.user).toMatchObject({ id: GRACE_ID, email: GRACE.email, company: 'Acme', role: 'USER' });
    expect(view!.expiresAt - Date.now()).toBeGreaterThan(890_000);
    // Alongside the administrator's own session, not instead of it; and nowhere but memory.
    expect(useAuthStore.getState().accessToken).toBe(adminToken);
    expect(useAuthStore.getState().user?.id).toBe(ADMIN_ID);
    expect(JSON.stringify({ ...window.localStorage })).not.toContain('customer-token');
    expect(JSON.stringify({ ...window.sessionStorage })).not.toContain('customer-token');
  });

  it('offers no view as customer for administrators, suspended users or oneself', async () => {
    vi.mocked(getUser).mockResolvedValue({ ...DETAIL, user: { ...DETAIL.user, role: 'ADMIN' } });
    const { unmount } = renderAt(`/admin/users/${GRACE_ID}`);
    let actions = await within(await screen.findByRole('dialog', { name: 'Grace Hopper' })).findByRole('group', { name: 'Actions' });
    expect(within(actions).queryByRole('button', { name: 'View as customer' })).not.toBeInTheDocument();
    expect(within(actions).getByRole('button', { name: 'Suspend' })).toBeInTheDocument();
    unmount();

    vi.mocked(getUser).mockResolvedValue({ ...DETAIL, user: { ...DETAIL.user, status: 'suspended' } });
    const second = renderAt(`/admin/users/${GRACE_ID}`);
    actions = await within(await screen.findByRole('dialog', { name: 'Grace Hopper' })).findByRole('group', { name: 'Actions' });
    expect(within(actions).queryByRole('button', { name: 'View as customer' })).not.toBeInTheDocument();
    second.unmount();

    vi.mocked(getUser).mockResolvedValue({ ...DETAIL, user: { ...DETAIL.user, id: ADMIN_ID } });
    renderAt(`/admin/users/${ADMIN_ID}`);
    actions = await within(await screen.findByRole('dialog', { name: 'Grace Hopper' })).findByRole('group', { name: 'Actions' });
    expect(within(actions).queryByRole('button', { name: 'View as customer' })).not.toBeInTheDocument();
  });
});
