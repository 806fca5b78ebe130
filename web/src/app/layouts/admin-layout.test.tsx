import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { impersonate, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import { AdminLayout, RequireAdmin } from './admin-layout';

vi.mock('@/features/auth/api/get-me', () => ({ getMe: vi.fn(() => new Promise(() => undefined)) }));
vi.mock('@/features/meta/api/get-version', () => ({ getVersion: vi.fn(() => new Promise(() => undefined)) }));
vi.mock('@/features/notifications/api/notifications', () => ({
  listNotifications: vi.fn(() => Promise.resolve({ items: [], unread: 0, nextCursor: null })),
  markNotificationRead: vi.fn(),
  markAllNotificationsRead: vi.fn(),
}));

function renderAt(url: string) {
  return render(
    <TestRouter url={url}>
      <Routes>
        <Route path="admin" element={<AdminLayout />}>
          <Route element={<RequireAdmin />}>
            <Route path="users" element={<h1>Users page</h1>} />
          </Route>
        </Route>
      </Routes>
    </TestRouter>,
  );
}

describe('AdminLayout', () => {
  afterEach(() => resetAuth());

  it('has its own menu, an Admin marker and a way back to the dashboard', async () => {
    const user = userEvent.setup();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    renderAt('/admin/users');
    expect(screen.getByRole('heading', { name: 'Users page' })).toBeInTheDocument();
    expect(screen.getByTestId('admin-marker')).toHaveTextContent('Admin');
    expect(screen.getByRole('note')).toHaveTextContent('Admin area.');
    const nav = screen.getByRole('navigation', { name: 'Main' });
    const links = within(nav)
      .getAllByRole('link')
      .map((a) => [a.textContent, a.getAttribute('href')]);
    expect(links).toEqual([
      ['Users', '/admin/users'],
      ['Analytics', '/admin/analytics'],
      ['Organizations', '/admin/organizations'],
      ['Plans', '/admin/plans'],
      ['API catalog', '/admin/endpoints'],
      ['Audit log', '/admin/audit'],
      ['Service tokens', '/admin/service-tokens'],
      ['Rate limits', '/admin/rate-limits'],
    ]);
    expect(screen.getByRole('link', { name: /Back to dashboard/ })).toHaveAttribute('href', '/dashboard');
    expect(within(nav).getByRole('link', { name: 'Users' })).toHaveClass('is-active');
    // On a phone the menu collapses behind a toggle.
    const toggle = screen.getByRole('button', { name: 'Open menu' });
    expect(toggle).toHaveAttribute('aria-expanded', 'false');
    await user.click(toggle);
    expect(screen.getByRole('button', { name: 'Close menu' })).toHaveAttribute('aria-expanded', 'true');
  });

  it('tells a non-admin they are not allowed, without the admin menu', () => {
    signInAs({ role: 'USER' });
    renderAt('/admin/users');
    expect(screen.getByTestId('not-allowed')).toHaveTextContent('Not allowed');
    expect(screen.queryByRole('heading', { name: 'Users page' })).not.toBeInTheDocument();
    expect(screen.queryByRole('link', { name: 'Users' })).not.toBeInTheDocument();
    expect(screen.getByRole('link', { name: /Back to dashboard/ })).toHaveAttribute('href', '/dashboard');
  });

  it('keeps the admin pages closed during a view as customer (every request carries the customer\'s token)', async () => {
    impersonate();
    renderAt('/admin/users');
    expect(screen.getByTestId('not-allowed')).toHaveTextContent("You are viewing a customer's account, read-only.");
    expect(screen.queryByRole('heading', { name: 'Users page' })).not.toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'Customer view' })).toBeInTheDocument();
    expect(await screen.findByRole('button', { name: 'Notifications' })).toBeInTheDocument();
  });
});
