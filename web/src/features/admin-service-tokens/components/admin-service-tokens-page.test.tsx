import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { CreatedServiceToken, ServiceToken } from '@/types';
import { createServiceToken, listServiceTokens, revokeServiceToken } from '../api/service-tokens';
import { AdminServiceTokensPage } from './admin-service-tokens-page';

vi.mock('../api/service-tokens', () => ({ listServiceTokens: vi.fn(), createServiceToken: vi.fn(), revokeServiceToken: vi.fn() }));

const ORDERS: ServiceToken = {
  id: '44444444-4444-4444-8444-444444444444',
  name: 'Orders service',
  prefix: 'tg_svc_AbCdE',
  scopes: ['keys:verify'],
  createdAt: '2025-02-01T00:00:00Z',
  createdBy: '00000000-0000-4000-8000-0000000000ad',
  expiresAt: null,
  lastUsedAt: '2025-03-01T09:00:00Z',
  revokedAt: null,
  status: 'active',
};

const OLD: ServiceToken = { ...ORDERS, id: '55555555-5555-4555-8555-555555555555', name: 'Old billing job', status: 'revoked', revokedAt: '2025-02-10T00:00:00Z' };
const TEMP: ServiceToken = { ...ORDERS, id: '66666666-6666-4666-8666-666666666666', name: 'Load test', status: 'expired', expiresAt: '2025-02-15T00:00:00Z' };

const SECRET = 'tg_svc_AbCdEfGhIjKlMnOpQrStUvWxYz0123456789abcdefgh';

function renderPage() {
  return render(
    <TestRouter url="/admin/service-tokens">
      <AdminServiceTokensPage />
    </TestRouter>,
  );
}

describe('AdminServiceTokensPage', () => {
  beforeEach(() => {
    resetAuth();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(listServiceTokens).mockResolvedValue([ORDERS, TEMP, OLD]);
  });

  it('lists tokens with their status', async () => {
    renderPage();
    const rows = await screen.findAllByTestId('service-token');
    expect(rows).toHaveLength(3);
    expect(rows[0]).toHaveTextContent('Orders service');
    expect(rows[0]).toHaveTextContent('tg_svc_AbCdE…');
    expect(rows[0]).toHaveTextContent('Active');
    expect(rows[0]).toHaveTextContent('keys:verify');
    expect(rows[1]).toHaveTextContent('Expired');
    expect(rows[2]).toHaveTextContent('Revoked');
    expect(within(rows[2]!).queryByRole('button', { name: /Revoke/ })).not.toBeInTheDocument();
  });

  it('shows the empty and the error states', async () => {
    vi.mocked(listServiceTokens).mockResolvedValueOnce([]);
    renderPage();
    expect(await screen.findByText('No service tokens yet')).toBeInTheDocument();
    vi.mocked(listServiceTokens).mockRejectedValueOnce(problem(403, 'ADMIN_2FA_REQUIRED'));
    renderPage();
    expect(await screen.findByTestId('admin-2fa-required')).toBeInTheDocument();
  });

  it('creates a token and shows it once, with a copy button and a warning', async () => {
    const user = userEvent.setup();
    const created: CreatedServiceToken = { ...ORDERS, id: '77777777-7777-4777-8777-777777777777', name: 'Search API', lastUsedAt: null, token: SECRET };
    vi.mocked(createServiceToken).mockResolvedValue(created);
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Create token' }));
    const dialog = screen.getByRole('dialog', { name: 'Create a service token' });
    expect(within(dialog).getByLabelText(/keys:verify/)).toBeChecked();

    await user.click(within(dialog).getByLabelText(/keys:verify/));
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));
    expect(createServiceToken).not.toHaveBeenCalled();
    expect(within(dialog).getByLabelText('Name')).toHaveFocus();
    expect(dialog).toHaveTextContent('Choose at least one scope.');

    await user.type(within(dialog).getByLabelText('Name'), ' Search API ');
    await user.click(within(dialog).getByLabelText(/keys:verify/));
    await user.type(within(dialog).getByLabelText(/Expires on/), '2999-12-31');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));

    const shown = await screen.findByRole('dialog', { name: 'Copy the token now' });
    expect(createServiceToken).toHaveBeenCalledWith({
      name: 'Search API',
      scopes: ['keys:verify'],
      expiresAt: new Date(3000, 0, 1).toISOString(),
    });
    expect(within(shown).getByTestId('service-token-secret')).toHaveTextContent(SECRET);
    expect(shown).toHaveTextContent('This is the only time the token is shown.');
    expect(within(shown).getByRole('button', { name: 'Copy token' })).toBeInTheDocument();
    // It must be acknowledged: no close button.
    expect(within(shown).queryByRole('button', { name: 'Close' })).not.toBeInTheDocument();
    await waitFor(() => expect(listServiceTokens).toHaveBeenCalledTimes(2));

    await user.click(within(shown).getByRole('button', { name: 'I have stored the token' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(screen.queryByText(SECRET)).not.toBeInTheDocument();
  });

  it('shows a server refusal in the create dialog', async () => {
    const user = userEvent.setup();
    vi.mocked(createServiceToken).mockRejectedValue(problem(422, 'VALIDATION_FAILED', [{ field: 'expiresAt', message: 'must be an RFC 3339 time' }]));
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Create token' }));
    const dialog = screen.getByRole('dialog');
    await user.type(within(dialog).getByLabelText('Name'), 'Search API');
    await user.click(within(dialog).getByRole('button', { name: 'Create token' }));
    await waitFor(() => expect(within(dialog).getByLabelText(/Expires on/)).toHaveAccessibleDescription(expect.stringContaining('Must be an RFC 3339 time.')));
  });

  it('revokes after confirmation, with an optional reason', async () => {
    const user = userEvent.setup();
    vi.mocked(revokeServiceToken).mockResolvedValue();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Revoke Orders service' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke Orders service?' });
    await user.type(within(dialog).getByLabelText(/Reason/), 'Service retired');
    await user.click(within(dialog).getByRole('button', { name: 'Revoke token' }));
    await waitFor(() => expect(revokeServiceToken).toHaveBeenCalledWith(ORDERS.id, 'Service retired'));
    expect(await screen.findByText('Revoked Orders service.')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });
});
