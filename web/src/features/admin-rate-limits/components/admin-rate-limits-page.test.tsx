import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { RateLimitState } from '@/types';
import { getRateLimits, resetRateLimits } from '../api/rate-limits';
import { AdminRateLimitsPage } from './admin-rate-limits-page';

vi.mock('../api/rate-limits', () => ({ getRateLimits: vi.fn(), resetRateLimits: vi.fn() }));

const IP_STATE: RateLimitState = {
  kind: 'ip',
  id: '203.0.113.7',
  buckets: [
    { name: 'api', limit: 300, windowSeconds: 60, used: 120, remaining: 180, resetMs: 41_200, store: 'memory' },
    { name: 'login_failures', limit: 20, windowSeconds: 900, used: 20, remaining: 0, resetMs: 300_000, store: 'redis' },
  ],
};

const KEY_ID = '11111111-1111-4111-8111-111111111111';

function renderAt(url = '/admin/rate-limits') {
  return render(
    <TestRouter url={url}>
      <AdminRateLimitsPage />
    </TestRouter>,
  );
}

describe('AdminRateLimitsPage', () => {
  beforeEach(() => {
    resetAuth();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(getRateLimits).mockResolvedValue(IP_STATE);
  });

  it('looks up an address and shows its buckets as bars', async () => {
    const user = userEvent.setup();
    renderAt();
    expect(screen.getByText('Choose a subject')).toBeInTheDocument();
    await user.type(screen.getByLabelText('IP address'), '203.0.113.7');
    await user.click(screen.getByRole('button', { name: 'Show limits' }));

    const buckets = await screen.findAllByTestId('rate-bucket');
    expect(getRateLimits).toHaveBeenCalledWith('ip', '203.0.113.7');
    expect(buckets).toHaveLength(2);
    expect(within(buckets[0]!).getByRole('progressbar', { name: 'Dashboard API (/api)' })).toHaveAttribute('aria-valuenow', '40');
    expect(buckets[0]).toHaveTextContent('120 / 300 requests per minute');
    expect(buckets[0]).toHaveTextContent('180 remaining · resets in 42 s');
    expect(buckets[1]).toHaveTextContent('Failed sign-ins');
    expect(buckets[1]).toHaveTextContent('per 15 minutes');
    expect(buckets[1]).toHaveTextContent('Limited: further calls are refused.');
  });

  it('checks the id for the chosen kind, and shows an unknown key at the field', async () => {
    const user = userEvent.setup();
    vi.mocked(getRateLimits).mockRejectedValueOnce(problem(404, 'API_KEY_NOT_FOUND'));
    renderAt();
    await user.selectOptions(screen.getByLabelText('Subject'), 'key');
    const id = screen.getByLabelText('API key id');
    await user.type(id, 'tg_live_secret');
    await user.click(screen.getByRole('button', { name: 'Show limits' }));
    expect(getRateLimits).not.toHaveBeenCalled();
    expect(id).toHaveAccessibleDescription(expect.stringContaining('not the secret key'));

    await user.clear(id);
    await user.type(id, KEY_ID);
    await user.click(screen.getByRole('button', { name: 'Show limits' }));
    await waitFor(() => expect(id).toHaveAccessibleDescription('No API key has this id.'));
    expect(getRateLimits).toHaveBeenCalledWith('key', KEY_ID);
  });

  it('shows a load error', async () => {
    vi.mocked(getRateLimits).mockRejectedValueOnce(problem(500, 'INTERNAL'));
    renderAt(`/admin/rate-limits?kind=user&id=${KEY_ID}`);
    expect(await screen.findByText('Could not read the rate limits')).toBeInTheDocument();
    expect(getRateLimits).toHaveBeenCalledWith('user', KEY_ID);
  });

  it('resets only with a reason, then shows the emptied buckets', async () => {
    const user = userEvent.setup();
    vi.mocked(resetRateLimits).mockResolvedValue();
    renderAt('/admin/rate-limits?kind=ip&id=203.0.113.7');
    await screen.findAllByTestId('rate-bucket');

    await user.click(screen.getByRole('button', { name: 'Reset limits' }));
    const dialog = screen.getByRole('dialog', { name: 'Reset the limits of IP address 203.0.113.7?' });
    await user.click(within(dialog).getByRole('button', { name: 'Reset limits' }));
    expect(resetRateLimits).not.toHaveBeenCalled();
    expect(within(dialog).getByLabelText(/Reason/)).toHaveAccessibleDescription(expect.stringContaining('Say why'));

    vi.mocked(getRateLimits).mockResolvedValueOnce({
      ...IP_STATE,
      buckets: IP_STATE.buckets.map((b) => ({ ...b, used: 0, remaining: b.limit })),
    });
    await user.type(within(dialog).getByLabelText(/Reason/), 'Office NAT locked out');
    await user.click(within(dialog).getByRole('button', { name: 'Reset limits' }));
    await waitFor(() => expect(resetRateLimits).toHaveBeenCalledWith('ip', '203.0.113.7', 'Office NAT locked out'));
    expect(await screen.findByText('Reset the limits of IP address 203.0.113.7.')).toBeInTheDocument();
    await waitFor(() => expect(screen.getAllByTestId('rate-bucket')[1]).toHaveTextContent('20 remaining'));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});
