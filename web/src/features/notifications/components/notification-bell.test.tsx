import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useLocation } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { useOrganizationStore } from '@/stores/organization-store';
import { impersonate, problem, resetAuth, signInAs } from '@/testing/fixtures';
import { PERSONAL_ORG, resetOrganizations, TEAM_ORG } from '@/testing/organization-fixtures';
import { TestRouter } from '@/testing/router';
import type { Notification, NotificationPage } from '@/types';
import { listNotifications, markAllNotificationsRead, markNotificationRead } from '../api/notifications';
import { NOTIFICATIONS_POLL_MS } from '../hooks/use-notifications';
import { NotificationBell } from './notification-bell';

vi.mock('../api/notifications', () => ({
  NOTIFICATIONS_PAGE_SIZE: 20,
  listNotifications: vi.fn(),
  markNotificationRead: vi.fn(),
  markAllNotificationsRead: vi.fn(),
}));

let seq = 0;
function notification(kind: Notification['kind'], payload: Record<string, unknown>, extra: Partial<Notification> = {}): Notification {
  seq += 1;
  return {
    id: `00000000-0000-4000-8000-${String(seq).padStart(12, '0')}`,
    kind,
    organizationId: null,
    payload: payload as Notification['payload'],
    read: false,
    createdAt: new Date(Date.now() - seq * 60_000).toISOString(),
    ...extra,
  };
}

const QUOTA = notification('quota_80', { used: 8000, limit: 10000, hardCap: true }, { organizationId: PERSONAL_ORG.id });
const PAYMENT = notification('payment_failed', { amountMinor: 9900, currency: 'usd' }, { organizationId: TEAM_ORG.id });
const KEY = notification('key_expiring', { name: 'prod', prefix: 'tg_live_ab', expiresAt: '2099-12-03T10:00:00Z' }, {
  organizationId: PERSONAL_ORG.id,
  read: true,
});
const INVITE = notification('invitation_received', { organization: 'Globex', inviter: 'Ada', role: 'MEMBER' }, { organizationId: TEAM_ORG.id });
const SIGN_IN = notification('new_sign_in', { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0' }, { read: true });

function page(items: Notification[], unread: number, nextCursor: string | null = null): NotificationPage {
  return { items, unread, nextCursor };
}

/** A server that remembers what was marked read. */
function serve(items: Notification[]) {
  const state = items.map((n) => ({ ...n }));
  const unread = () => state.filter((n) => !n.read).length;
  vi.mocked(listNotifications).mockImplementation(async () => page(state.map((n) => ({ ...n })), unread()));
  vi.mocked(markNotificationRead).mockImplementation(async (id) => {
    const n = state.find((x) => x.id === id);
    if (n) n.read = true;
  });
  vi.mocked(markAllNotificationsRead).mockImplementation(async () => {
    const marked = unread();
    state.forEach((n) => (n.read = true));
    return marked;
  });
}

function Where() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.hash}</output>;
}

function renderBell() {
  return render(
    <TestRouter url="/dashboard">
      <Routes>
        <Route
          path="*"
          element={
            <>
              <NotificationBell organizations={[PERSONAL_ORG, TEAM_ORG]} />
              <button type="button">Elsewhere</button>
              <Where />
            </>
          }
        />
      </Routes>
    </TestRouter>,
  );
}

async function openPanel(user: ReturnType<typeof userEvent.setup>, name: RegExp | string = /^Notifications/) {
  await user.click(await screen.findByRole('button', { name }));
  return screen.getByRole('region', { name: 'Notifications' });
}

describe('NotificationBell', () => {
  beforeEach(() => {
    resetAuth();
    resetOrganizations();
    signInAs();
    serve([QUOTA, PAYMENT, KEY, INVITE, SIGN_IN]);
  });
  afterEach(() => {
    vi.useRealTimers();
    resetAuth();
  });

  it('names the unread count and lists each kind in words, unread ones marked, with their pages', async () => {
    const user = userEvent.setup();
    renderBell();
    const bell = await screen.findByRole('button', { name: 'Notifications, 3 unread' });
    expect(bell).toHaveAttribute('aria-expanded', 'false');
    expect(bell).toHaveTextContent('3');

    const panel = await openPanel(user, 'Notifications, 3 unread');
    expect(bell).toHaveAttribute('aria-expanded', 'true');
    expect(screen.getByRole('heading', { name: 'Notifications' })).toHaveFocus();
    const items = within(panel).getAllByTestId('notification');
    expect(items).toHaveLength(5);

    const quota = within(items[0]!).getByRole('link');
    expect(quota).toHaveAccessibleName(expect.stringContaining("Unread: You've used 80% of your included units (8,000 of 10,000)"));
    expect(quota).toHaveAttribute('href', '/usage');
    const payment = within(items[1]!).getByRole('link');
    expect(payment).toHaveTextContent('Payment of $99.00 failed — update your card');
    expect(payment).toHaveAttribute('href', '/billing');
    // A team organization's notification says which one.
    expect(payment).toHaveTextContent('Acme Corp');
    const key = within(items[2]!).getByRole('link');
    expect(key).toHaveTextContent(/Key “prod” \(tg_live_ab…\) expires on (3 Dec|Dec 3), 2099/);
    expect(key).toHaveAttribute('href', '/keys');
    expect(key).not.toHaveClass('is-unread');
    expect(key).not.toHaveAccessibleName(expect.stringContaining('Unread'));
    // Accepting needs the token of the emailed link: no page, a hint instead.
    expect(within(items[3]!).queryByRole('link')).not.toBeInTheDocument();
    expect(within(items[3]!).getByRole('button')).toHaveTextContent('Ada invited you to Globex as Member');
    expect(items[3]).toHaveTextContent('Accept it with the link in the invitation email.');
    const signIn = within(items[4]!).getByRole('link');
    expect(signIn).toHaveTextContent('New sign-in from Firefox on Linux (203.0.113.9)');
    expect(signIn).toHaveAttribute('href', '/account#sessions');
    expect(listNotifications).toHaveBeenCalled();
  });

  it('opening one marks it read and goes to its page, in its organization', async () => {
    const user = userEvent.setup();
    renderBell();
    const panel = await openPanel(user, 'Notifications, 3 unread');
    await user.click(within(panel).getByRole('link', { name: /Payment of \$99.00 failed/ }));

    expect(markNotificationRead).toHaveBeenCalledWith(PAYMENT.id);
    expect(screen.getByTestId('location')).toHaveTextContent('/billing');
    expect(useOrganizationStore.getState().activeId).toBe(TEAM_ORG.id);
    expect(useOrganizationStore.getState().notice?.text).toBe('Switched to “Acme Corp” to show this notification.');
    expect(screen.queryByRole('region', { name: 'Notifications' })).not.toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Notifications, 2 unread' })).toBeInTheDocument();

    // One without a page is marked read where it is.
    await user.click(screen.getByRole('button', { name: 'Notifications, 2 unread' }));
    await user.click(screen.getByRole('button', { name: /Ada invited you/ }));
    expect(markNotificationRead).toHaveBeenLastCalledWith(INVITE.id);
    expect(screen.getByRole('button', { name: 'Notifications, 1 unread' })).toBeInTheDocument();
  });

  it('puts a notification back to unread when the server refuses, and says so', async () => {
    const user = userEvent.setup();
    vi.mocked(markNotificationRead).mockRejectedValue(problem(500, 'INTERNAL'));
    renderBell();
    const panel = await openPanel(user, 'Notifications, 3 unread');
    await user.click(within(panel).getByRole('button', { name: /Ada invited you/ }));
    expect(await within(panel).findByText(/Could not mark it read/)).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Notifications, 3 unread' })).toBeInTheDocument();
  });

  it('marks all read', async () => {
    const user = userEvent.setup();
    renderBell();
    const panel = await openPanel(user, 'Notifications, 3 unread');
    await user.click(within(panel).getByRole('button', { name: 'Mark all read' }));
    expect(markAllNotificationsRead).toHaveBeenCalledTimes(1);
    expect(await within(panel).findByText('Marked 3 notifications read.')).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Notifications' })).toBeInTheDocument();
    expect(within(panel).queryByText(/Unread:/)).not.toBeInTheDocument();
    expect(within(panel).queryByRole('button', { name: 'Mark all read' })).not.toBeInTheDocument();
  });

  it('shows an error with a retry, and an empty state', async () => {
    const user = userEvent.setup();
    vi.mocked(listNotifications).mockRejectedValue(problem(503, 'SERVICE_UNAVAILABLE'));
    renderBell();
    const panel = await openPanel(user);
    expect(await within(panel).findByRole('alert')).toHaveTextContent('Could not load your notifications.');
    vi.mocked(listNotifications).mockResolvedValue(page([], 0));
    await user.click(within(panel).getByRole('button', { name: 'Try again' }));
    expect(await within(panel).findByText('No notifications yet')).toBeInTheDocument();
    expect(within(panel).queryByRole('button', { name: 'Mark all read' })).not.toBeInTheDocument();
  });

  it('loads older notifications with the cursor', async () => {
    const user = userEvent.setup();
    const older = notification('payment_succeeded', { amountMinor: 1900, currency: 'usd' }, { read: true });
    vi.mocked(listNotifications).mockImplementation(async (query = {}) =>
      query.before === 'cursor-1' ? page([older], 3) : page([QUOTA, PAYMENT], 3, 'cursor-1'),
    );
    renderBell();
    const panel = await openPanel(user, 'Notifications, 3 unread');
    expect(within(panel).getAllByTestId('notification')).toHaveLength(2);
    await user.click(within(panel).getByRole('button', { name: 'Load more' }));
    expect(listNotifications).toHaveBeenCalledWith({ before: 'cursor-1' });
    await waitFor(() => expect(within(panel).getAllByTestId('notification')).toHaveLength(3));
    expect(within(panel).getByText('Payment of $19.00 received — thank you')).toBeInTheDocument();
    expect(within(panel).queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
  });

  it('closes on Escape with focus back on the bell, and when focus leaves it', async () => {
    const user = userEvent.setup();
    renderBell();
    const bell = await screen.findByRole('button', { name: 'Notifications, 3 unread' });
    await openPanel(user, 'Notifications, 3 unread');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('region', { name: 'Notifications' })).not.toBeInTheDocument();
    expect(bell).toHaveFocus();
    expect(bell).toHaveAttribute('aria-expanded', 'false');

    await user.click(bell);
    expect(screen.getByRole('region', { name: 'Notifications' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Elsewhere' }));
    expect(screen.queryByRole('region', { name: 'Notifications' })).not.toBeInTheDocument();
  });

  it('asks again every minute while the tab is visible, and when it regains focus', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    renderBell();
    await waitFor(() => expect(listNotifications).toHaveBeenCalledTimes(1));
    vi.mocked(listNotifications).mockResolvedValue(page([QUOTA, PAYMENT, KEY, INVITE, SIGN_IN], 4));
    await act(async () => {
      vi.advanceTimersByTime(NOTIFICATIONS_POLL_MS);
    });
    expect(listNotifications).toHaveBeenCalledTimes(2);
    expect(await screen.findByRole('button', { name: 'Notifications, 4 unread' })).toBeInTheDocument();

    const visibility = vi.spyOn(document, 'visibilityState', 'get').mockReturnValue('hidden');
    await act(async () => {
      vi.advanceTimersByTime(NOTIFICATIONS_POLL_MS);
    });
    expect(listNotifications).toHaveBeenCalledTimes(2);

    visibility.mockReturnValue('visible');
    await act(async () => {
      window.dispatchEvent(new Event('focus'));
    });
    expect(listNotifications).toHaveBeenCalledTimes(3);
    visibility.mockRestore();
  });

  it("is read-only during a view as customer: shows the customer's notifications without marking them read", async () => {
    const user = userEvent.setup();
    impersonate();
    renderBell();
    const panel = await openPanel(user, 'Notifications, 3 unread');
    expect(within(panel).getByText(/Read-only view/)).toBeInTheDocument();
    expect(within(panel).queryByRole('button', { name: 'Mark all read' })).not.toBeInTheDocument();
    await user.click(within(panel).getByRole('link', { name: /80% of your included units/ }));
    expect(markNotificationRead).not.toHaveBeenCalled();
    expect(screen.getByTestId('location')).toHaveTextContent('/usage');
  });
});
