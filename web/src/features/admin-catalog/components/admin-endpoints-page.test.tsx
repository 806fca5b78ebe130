import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { ApiError } from '@/lib/api-client';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { ApiEndpoint } from '@/types';
import { createEndpoint, deleteEndpoint, listEndpoints, updateEndpoint } from '../api/admin-endpoints';
import { AdminEndpointsPage } from './admin-endpoints-page';

vi.mock('../api/admin-endpoints', () => ({
  listEndpoints: vi.fn(),
  createEndpoint: vi.fn(),
  updateEndpoint: vi.fn(),
  deleteEndpoint: vi.fn(),
}));

const WEATHER: ApiEndpoint = {
  id: '22222222-2222-4222-8222-222222222222',
  method: 'GET',
  pathPattern: '/weather/{city}',
  upstreamUrl: 'https://api.weather.test/v2',
  description: 'Current weather',
  cost: 2,
  rateLimitPerMinute: 120,
  timeoutMs: 30000,
  isPublic: false,
  enabled: true,
  createdAt: '2025-01-01T00:00:00Z',
  updatedAt: '2025-01-01T00:00:00Z',
};

const ECHO: ApiEndpoint = {
  ...WEATHER,
  id: '33333333-3333-4333-8333-333333333333',
  method: '*',
  pathPattern: '/echo/*',
  upstreamUrl: 'internal://echo',
  description: '',
  cost: 0,
  rateLimitPerMinute: null,
  timeoutMs: 1500,
  isPublic: true,
  enabled: false,
};

function renderPage() {
  return render(
    <TestRouter url="/admin/endpoints">
      <AdminEndpointsPage />
    </TestRouter>,
  );
}

describe('AdminEndpointsPage', () => {
  beforeEach(() => {
    resetAuth();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(listEndpoints).mockResolvedValue([ECHO, WEATHER]);
  });

  it('lists the catalog', async () => {
    renderPage();
    const rows = await screen.findAllByTestId('admin-endpoint');
    expect(rows).toHaveLength(2);
    expect(rows[0]).toHaveTextContent('ANY /echo/*');
    expect(rows[0]).toHaveTextContent('internal://echo');
    expect(rows[0]).toHaveTextContent('None');
    expect(rows[0]).toHaveTextContent('1,500 ms');
    expect(rows[0]).toHaveTextContent('Disabled');
    expect(rows[0]).toHaveTextContent('Public');
    expect(rows[1]).toHaveTextContent('GET /weather/{city}');
    expect(rows[1]).toHaveTextContent('120/min');
    expect(rows[1]).toHaveTextContent('30 s');
  });

  it('shows the empty state and the error state', async () => {
    const user = userEvent.setup();
    vi.mocked(listEndpoints).mockResolvedValueOnce([]);
    renderPage();
    expect(await screen.findByText('No endpoints yet')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Add the first endpoint' }));
    expect(screen.getByRole('dialog', { name: 'Add an endpoint' })).toBeInTheDocument();

    vi.mocked(listEndpoints).mockRejectedValueOnce(problem(500, 'INTERNAL'));
    renderPage();
    expect(await screen.findByText('Could not load the API catalog')).toBeInTheDocument();
  });

  it('adds an endpoint, showing client and server field errors next to the fields', async () => {
    const user = userEvent.setup();
    vi.mocked(createEndpoint)
      .mockRejectedValueOnce(
        problem(422, 'VALIDATION_FAILED', [{ field: 'upstreamUrl', message: 'points back at this Tollgate, which would proxy to itself in a loop' }]),
      )
      .mockRejectedValueOnce(new ApiError({ status: 409, code: 'ENDPOINT_EXISTS', title: 'Conflict', detail: 'An endpoint with this method and path pattern exists.' }))
      .mockResolvedValueOnce({ ...WEATHER, id: 'new', method: 'POST', pathPattern: '/orders' });
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Add endpoint' }));
    const dialog = screen.getByRole('dialog', { name: 'Add an endpoint' });
    expect(within(dialog).getByLabelText('Method')).toHaveFocus();

    await user.type(within(dialog).getByLabelText('Path pattern'), 'orders');
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    expect(createEndpoint).not.toHaveBeenCalled();
    expect(within(dialog).getByLabelText('Path pattern')).toHaveAccessibleDescription(expect.stringContaining('Start the path with /.'));
    expect(within(dialog).getByLabelText('Upstream URL')).toHaveAccessibleDescription(expect.stringContaining('Enter where calls go'));

    await user.selectOptions(within(dialog).getByLabelText('Method'), 'POST');
    await user.clear(within(dialog).getByLabelText('Path pattern'));
    await user.type(within(dialog).getByLabelText('Path pattern'), '/orders');
    await user.type(within(dialog).getByLabelText('Upstream URL'), 'http://localhost:3001');
    await user.type(within(dialog).getByLabelText(/Rate limit per minute/), '60');
    await user.click(within(dialog).getByLabelText(/Public/));
    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));

    const upstream = within(dialog).getByLabelText('Upstream URL');
    await waitFor(() => expect(upstream).toHaveAccessibleDescription(expect.stringContaining('Points back at this Tollgate')));
    expect(upstream).toHaveFocus();
    expect(createEndpoint).toHaveBeenLastCalledWith({
      method: 'POST',
      pathPattern: '/orders',
      upstreamUrl: 'http://localhost:3001',
      description: '',
      cost: 1,
      rateLimitPerMinute: 60,
      timeoutMs: 30000,
      isPublic: true,
      enabled: true,
    });

    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() => expect(within(dialog).getByLabelText('Path pattern')).toHaveAccessibleDescription(/Another endpoint already has this method/));

    await user.click(within(dialog).getByRole('button', { name: 'Add endpoint' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByRole('status')).toHaveTextContent('Added POST /orders.');
  });

  it('edits only what changed, and clears the rate limit with null', async () => {
    const user = userEvent.setup();
    vi.mocked(updateEndpoint).mockResolvedValue({ ...WEATHER, rateLimitPerMinute: null, enabled: false });
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Edit GET /weather/{city}' }));
    const dialog = screen.getByRole('dialog', { name: 'Edit GET /weather/{city}' });
    expect(within(dialog).getByLabelText(/Rate limit per minute/)).toHaveValue('120');
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    expect(await within(dialog).findByText('Nothing has changed, so there is nothing to save.')).toBeInTheDocument();

    await user.clear(within(dialog).getByLabelText(/Rate limit per minute/));
    await user.click(within(dialog).getByLabelText(/Enabled/));
    await user.click(within(dialog).getByRole('button', { name: 'Save changes' }));
    await waitFor(() => expect(updateEndpoint).toHaveBeenCalledWith(WEATHER.id, { rateLimitPerMinute: null, enabled: false }));
  });

  it('deletes after confirmation', async () => {
    const user = userEvent.setup();
    vi.mocked(deleteEndpoint).mockResolvedValue();
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Delete GET /weather/{city}' }));
    const dialog = screen.getByRole('dialog', { name: 'Delete GET /weather/{city}?' });
    await user.click(within(dialog).getByRole('button', { name: 'Keep it' }));
    expect(deleteEndpoint).not.toHaveBeenCalled();

    await user.click(screen.getByRole('button', { name: 'Delete GET /weather/{city}' }));
    await user.click(within(screen.getByRole('dialog')).getByRole('button', { name: 'Delete endpoint' }));
    await waitFor(() => expect(deleteEndpoint).toHaveBeenCalledWith(WEATHER.id));
    expect(await screen.findByText('Deleted GET /weather/{city}.')).toBeInTheDocument();
    expect(listEndpoints).toHaveBeenCalledTimes(2);
  });
});
