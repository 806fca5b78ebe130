import { act, render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { MemoryRouter } from 'react-router-dom';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api-client';
import type { Readiness } from '../api/get-readiness';
import { StatusPage } from './status-page';

const getReadiness = vi.hoisted(() => vi.fn<(signal?: AbortSignal) => Promise<Readiness>>());
vi.mock('../api/get-readiness', () => ({ getReadiness }));

const READY: Readiness = {
  status: 'ready',
  checks: {
    database: { status: 'up', latencyMs: 1.2 },
    migrations: { status: 'current', applied: 3, expected: 3 },
    redis: { status: 'disabled' },
  },
};

const NOT_READY: Readiness = {
  status: 'not_ready',
  checks: {
    database: { status: 'down' },
    migrations: { status: 'pending', applied: 2, expected: 3 },
    redis: { status: 'up' },
  },
};

function renderPage() {
  return render(
    <MemoryRouter>
      <StatusPage />
    </MemoryRouter>,
  );
}

describe('StatusPage', () => {
  beforeEach(() => {
    getReadiness.mockReset();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('shows a loading state, then each check with a readable status', async () => {
    getReadiness.mockResolvedValue(READY);
    renderPage();
    expect(screen.getByText('Checking readiness…')).toBeInTheDocument();

    const db = await screen.findByTestId('check-database');
    expect(within(db).getByText('Database')).toBeInTheDocument();
    expect(db).toHaveTextContent(/\bUp\b/);
    expect(db).toHaveTextContent('Latency 1.2 ms');
    expect(screen.getByTestId('check-migrations')).toHaveTextContent('Current');
    expect(screen.getByTestId('check-migrations')).toHaveTextContent('3 of 3 applied');
    expect(screen.getByTestId('check-redis')).toHaveTextContent('Disabled');
    expect(screen.getByTestId('readiness-summary')).toHaveTextContent('Ready');
  });

  it('renders a 503 not-ready answer as data, not as an error', async () => {
    getReadiness.mockResolvedValue(NOT_READY);
    renderPage();
    expect(await screen.findByTestId('readiness-summary')).toHaveTextContent('Not ready');
    expect(screen.getByTestId('check-database')).toHaveTextContent('Down');
    expect(screen.getByTestId('check-migrations')).toHaveTextContent('Pending');
    expect(screen.getByTestId('check-migrations')).toHaveTextContent('2 of 3 applied');
    expect(screen.queryByRole('alert')).not.toBeInTheDocument();
  });

  it('shows an error with a retry button when the request fails', async () => {
    getReadiness.mockRejectedValueOnce(
      new ApiError({ status: 0, code: 'NETWORK_ERROR', title: 'Cannot reach the server', requestId: 'req_9' }),
    );
    renderPage();
    const alert = await screen.findByRole('alert');
    expect(alert).toHaveTextContent("Couldn't load status");
    expect(alert).toHaveTextContent('Cannot reach the server');
    expect(alert).toHaveTextContent('req_9');

    getReadiness.mockResolvedValue(READY);
    await userEvent.click(within(alert).getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('check-database')).toHaveTextContent('Up');
  });

  it('refreshes automatically every 10 seconds', async () => {
    vi.useFakeTimers({ shouldAdvanceTime: true });
    getReadiness.mockResolvedValueOnce(READY).mockResolvedValue(NOT_READY);
    renderPage();
    expect(await screen.findByTestId('check-database')).toHaveTextContent('Up');
    expect(getReadiness).toHaveBeenCalledTimes(1);

    await act(async () => {
      await vi.advanceTimersByTimeAsync(10_000);
    });
    await waitFor(() => expect(screen.getByTestId('check-database')).toHaveTextContent('Down'));
    expect(getReadiness).toHaveBeenCalledTimes(2);
  });
});
