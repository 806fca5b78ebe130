import { act, render, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes, useLocation } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { apiClient } from '@/lib/api-client';
import { useAuthStore } from '@/stores/auth-store';
import { CUSTOMER, impersonate, resetAuth } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import { ImpersonationBanner, ImpersonationEndedNotice } from './impersonation-banner';

function Where() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname}</output>;
}

function Page({ title }: { title: string }) {
  return (
    <>
      <ImpersonationBanner />
      <ImpersonationEndedNotice />
      <h1>{title}</h1>
    </>
  );
}

function renderApp() {
  return render(
    <TestRouter url="/dashboard">
      <Routes>
        <Route path="/dashboard" element={<Page title="Dashboard" />} />
        <Route path="/admin/users/:id" element={<Page title="User" />} />
      </Routes>
      <Where />
    </TestRouter>,
  );
}

const ADMIN_PAGE = `/admin/users/${CUSTOMER.id}`;

describe('ImpersonationBanner', () => {
  beforeEach(() => resetAuth());
  afterEach(() => {
    vi.useRealTimers();
    resetAuth();
  });

  it('says whose account this is, that it is read-only and the time left; "End view" ends it and goes back', async () => {
    const user = userEvent.setup();
    const post = vi.spyOn(apiClient, 'post').mockResolvedValue({ status: 204, data: '' });
    impersonate();
    const adminToken = useAuthStore.getState().accessToken;
    renderApp();

    const banner = screen.getByRole('region', { name: 'Customer view' });
    expect(banner).toHaveTextContent(/^Viewing as grace@acme\.test — read-only — ends in (15:00|14:59)/);
    await user.click(screen.getByRole('button', { name: 'End view' }));

    expect(post).toHaveBeenCalledWith('/api/impersonation/end');
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(ADMIN_PAGE));
    expect(screen.getByRole('heading', { name: 'User' })).toBeInTheDocument();
    expect(screen.queryByRole('region', { name: 'Customer view' })).not.toBeInTheDocument();
    const state = useAuthStore.getState();
    expect(state.impersonation).toBeNull();
    expect(state.accessToken).toBe(adminToken);
    expect(state.user?.role).toBe('ADMIN');
    expect(screen.getByTestId('impersonation-ended')).toHaveTextContent('Your view as grace@acme.test has ended.');
    await user.click(screen.getByRole('button', { name: 'Dismiss' }));
    expect(screen.getByTestId('impersonation-ended')).toBeEmptyDOMElement();
  });

  it('still ends the view when the server cannot be reached', async () => {
    const user = userEvent.setup();
    vi.spyOn(apiClient, 'post').mockRejectedValue(new Error('offline'));
    impersonate();
    renderApp();
    await user.click(screen.getByRole('button', { name: 'End view' }));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(ADMIN_PAGE));
    expect(useAuthStore.getState().impersonation).toBeNull();
  });

  it('counts down and ends the view by itself when the time is up, and says so', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval', 'Date'] });
    impersonate({}, 65_000);
    renderApp();
    expect(screen.getByTestId('impersonation-countdown')).toHaveTextContent('01:05');
    act(() => {
      vi.advanceTimersByTime(6_000);
    });
    expect(screen.getByTestId('impersonation-countdown')).toHaveTextContent('00:59');
    expect(screen.getByRole('region', { name: 'Customer view' })).toHaveTextContent('The customer view ends in less than a minute.');
    act(() => {
      vi.advanceTimersByTime(60_000);
    });
    expect(useAuthStore.getState().impersonation).toBeNull();
    expect(screen.getByTestId('location')).toHaveTextContent(ADMIN_PAGE);
    expect(screen.getByTestId('impersonation-ended')).toHaveTextContent('Your view as grace@acme.test ended: its 15 minutes ran out.');
  });

  it('ends the view when the server stops accepting its token, and says so', async () => {
    impersonate();
    renderApp();
    act(() => useAuthStore.getState().stopImpersonation('revoked', 'customer-token'));
    await waitFor(() => expect(screen.getByTestId('location')).toHaveTextContent(ADMIN_PAGE));
    expect(screen.getByTestId('impersonation-ended')).toHaveTextContent('the server no longer accepts it');
  });

  it('says plainly when a change was refused because the view is read-only', () => {
    impersonate();
    renderApp();
    act(() => useAuthStore.getState().noteReadOnlyRefusal());
    expect(screen.getByRole('region', { name: 'Customer view' })).toHaveTextContent('That change was not made: this view is read-only.');
  });
});
