import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useEffect } from 'react';
import { Route, Routes } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { listNotifications } from '@/features/notifications/api/notifications';
import { listOrganizations } from '@/features/organizations/api/organizations';
import { CUSTOMER, impersonate, resetAuth, signInAs, USER } from '@/testing/fixtures';
import { PERSONAL_ORG, resetOrganizations, TEAM_ORG } from '@/testing/organization-fixtures';
import { TestRouter } from '@/testing/router';
import { useOrganizationStore } from '@/stores/organization-store';
import { DashboardLayout } from './dashboard-layout';

vi.mock('@/features/organizations/api/organizations', () => ({ listOrganizations: vi.fn() }));
vi.mock('@/features/notifications/api/notifications', () => ({
  listNotifications: vi.fn(),
  markNotificationRead: vi.fn(),
  markAllNotificationsRead: vi.fn(),
}));
vi.mock('@/features/auth/api/get-me', () => ({ getMe: vi.fn(() => new Promise(() => undefined)) }));
vi.mock('@/features/meta/api/get-version', () => ({ getVersion: vi.fn(() => new Promise(() => undefined)) }));

const mounts: (string | null)[] = [];

/** Stands in for a routed page: records each mount with the organization it was mounted for. */
function KeysPage() {
  useEffect(() => {
    mounts.push(useOrganizationStore.getState().activeId);
  }, []);
  return <h1>Keys</h1>;
}

describe('DashboardLayout', () => {
  beforeEach(() => {
    mounts.length = 0;
    resetOrganizations();
    signInAs();
    vi.mocked(listOrganizations).mockResolvedValue([PERSONAL_ORG, TEAM_ORG]);
    vi.mocked(listNotifications).mockResolvedValue({ items: [], unread: 2, nextCursor: null });
  });
  afterEach(() => resetAuth());

  it('shows the switcher and remounts the page when the organization changes, so its data is fetched again', async () => {
    render(
      <TestRouter url="/keys">
        <Routes>
          <Route element={<DashboardLayout />}>
            <Route path="keys" element={<KeysPage />} />
          </Route>
        </Routes>
      </TestRouter>,
    );
    expect(await screen.findByRole('heading', { name: 'Keys' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: /Organization: Personal/ })).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Organization' })).toHaveAttribute('href', '/organization');
    await waitFor(() => expect(mounts.length).toBeGreaterThan(0));
    const before = mounts.length;

    act(() => useOrganizationStore.getState().select(TEAM_ORG.id));
    await waitFor(() => expect(mounts.at(-1)).toBe(TEAM_ORG.id));
    expect(mounts.length).toBeGreaterThan(before);
    expect(await screen.findByRole('button', { name: /Organization: Acme Corp/ })).toBeInTheDocument();

    // A notice about the switch shows above the page until dismissed.
    act(() => useOrganizationStore.getState().select(null, { tone: 'info', text: `Bye, ${USER.email}.` }));
    expect(await screen.findByText(`Bye, ${USER.email}.`)).toBeInTheDocument();
    await waitFor(() => expect(mounts.at(-1)).toBeNull());
    act(() => screen.getByRole('button', { name: 'Dismiss' }).click());
    expect(screen.queryByText(`Bye, ${USER.email}.`)).toBeNull();
  });

  it('links to the admin area for administrators only', async () => {
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    const { unmount } = render(
      <TestRouter url="/keys">
        <Routes>
          <Route element={<DashboardLayout />}>
            <Route path="keys" element={<KeysPage />} />
          </Route>
        </Routes>
      </TestRouter>,
    );
    expect(await screen.findByRole('link', { name: 'Admin' })).toHaveAttribute('href', '/admin');
    unmount();

    signInAs({ role: 'USER' });
    render(
      <TestRouter url="/keys">
        <Routes>
          <Route element={<DashboardLayout />}>
            <Route path="keys" element={<KeysPage />} />
          </Route>
        </Routes>
      </TestRouter>,
    );
    expect(await screen.findByRole('heading', { name: 'Keys' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
  });

  it('has the notifications bell in the header', async () => {
    render(
      <TestRouter url="/keys">
        <Routes>
          <Route element={<DashboardLayout />}>
            <Route path="keys" element={<KeysPage />} />
          </Route>
        </Routes>
      </TestRouter>,
    );
    const header = screen.getByRole('banner');
    expect(await within(header).findByRole('button', { name: 'Notifications, 2 unread' })).toBeInTheDocument();
  });

  it('shows the customer during a view as customer: the banner, their organizations, no admin link', async () => {
    impersonate();
    vi.mocked(listOrganizations).mockResolvedValue([{ ...PERSONAL_ORG, name: 'Grace Hopper' }]);
    render(
      <TestRouter url="/keys">
        <Routes>
          <Route element={<DashboardLayout />}>
            <Route path="keys" element={<KeysPage />} />
          </Route>
        </Routes>
      </TestRouter>,
    );
    expect(await screen.findByRole('heading', { name: 'Keys' })).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Customer view' })).toHaveTextContent(`Viewing as ${CUSTOMER.email} — read-only — ends in`);
    expect(screen.getByRole('button', { name: 'End view' })).toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Admin' })).not.toBeInTheDocument();
    await waitFor(() => expect(listOrganizations).toHaveBeenCalled());
    await userEvent.setup().click(screen.getByRole('button', { name: /Organization: Personal/ }));
    expect(screen.getByRole('menuitemradio', { name: /Grace Hopper|Personal/ })).toHaveAttribute('aria-checked', 'true');
  });
});
