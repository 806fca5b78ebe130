import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { problem } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import { useRevealedKeyStore } from '@/stores/revealed-key-store';
import type { ApiKey, ApiKeyList } from '@/types';
import { createApiKey, listApiKeys, revokeApiKey, rotateApiKey, updateApiKey } from '../api/api-keys';
import { ApiKeysPage } from './api-keys-page';

vi.mock('../api/api-keys', () => ({
  listApiKeys: vi.fn(),
  createApiKey: vi.fn(),
  updateApiKey: vi.fn(),
  revokeApiKey: vi.fn(),
  rotateApiKey: vi.fn(),
}));

const SECRET = 'tg_live_3xAmPlE0kEy1234567890abcdefghijklmnopqrstuvw0AbCdE';

function apiKey(overrides: Partial<ApiKey> = {}): ApiKey {
  return {
    id: '11111111-1111-4111-8111-111111111111',
    name: 'Production server',
    prefix: 'tg_live_3xAmPlE0',
    environment: 'live',
    status: 'active',
    createdAt: '2025-01-02T10:00:00Z',
    expiresAt: null,
    lastUsedAt: '2025-01-03T10:00:00Z',
    lastUsedIp: '203.0.113.7',
    rateLimitPerMinute: null,
    metadata: {},
    rotatedFromId: null,
    graceEndsAt: null,
    revokedAt: null,
    ...overrides,
  };
}

function list(keys: ApiKey[], max: number | null = 2): ApiKeyList {
  const active = keys.filter((k) => k.status === 'active').length;
  return { keys, allowance: { active, max } };
}

function renderPage() {
  return render(
    <TestRouter url="/keys">
      <ApiKeysPage />
    </TestRouter>,
  );
}

describe('ApiKeysPage', () => {
  beforeEach(() => {
    vi.mocked(listApiKeys).mockReset();
    vi.mocked(createApiKey).mockReset();
    vi.mocked(revokeApiKey).mockReset();
    vi.mocked(updateApiKey).mockReset();
    vi.mocked(rotateApiKey).mockReset();
    useRevealedKeyStore.setState({ revealed: null });
  });

  it('explains keys when there are none, with a link to the verify API docs', async () => {
    vi.mocked(listApiKeys).mockResolvedValue(list([]));
    renderPage();
    expect(await screen.findByText('No API keys yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Read the verify API docs' })).toHaveAttribute('href', '/docs/api#verifyKey');
    expect(screen.getByTestId('key-allowance')).toHaveTextContent('0 of 2 active keys');
    const playground = screen.getAllByRole('link', { name: 'API playground' });
    expect(playground.length).toBeGreaterThan(0);
    for (const link of playground) expect(link).toHaveAttribute('href', '/playground');
  });

  it('lists keys with prefix, environment, status, last use and the rotation grace state', async () => {
    const graceEnds = new Date(Date.now() + 6 * 3_600_000).toISOString();
    vi.mocked(listApiKeys).mockResolvedValue(
      list([
        apiKey(),
        apiKey({ id: '22222222-2222-4222-8222-222222222222', name: 'Old server', prefix: 'tg_live_0ldK3y00', graceEndsAt: graceEnds }),
        apiKey({ id: '33333333-3333-4333-8333-333333333333', name: 'Gone', status: 'revoked', revokedAt: '2025-01-04T00:00:00Z' }),
      ]),
    );
    renderPage();
    const current = await screen.findByRole('list', { name: 'API keys' });
    const cards = within(current).getAllByTestId('api-key');
    expect(cards).toHaveLength(2);
    expect(cards[0]).toHaveTextContent('tg_live_3xAmPlE0…');
    expect(cards[0]).toHaveTextContent('Live');
    expect(cards[0]).toHaveTextContent('Active');
    expect(cards[0]).toHaveTextContent('from 203.0.113.7');
    expect(within(cards[1]!).getByTestId('key-status')).toHaveTextContent(/Rotating — works until/);
    // A key in its grace period cannot be rotated again.
    expect(within(cards[1]!).queryByRole('button', { name: /Rotate/ })).not.toBeInTheDocument();
    expect(screen.getByText('Revoked keys (1)')).toBeInTheDocument();
  });

  it('creates a key and shows its secret once, with a copy button', async () => {
    const user = userEvent.setup();
    const created = apiKey({ id: '44444444-4444-4444-8444-444444444444', name: 'Staging', environment: 'test', prefix: 'tg_test_AbCdEfGh' });
    vi.mocked(listApiKeys).mockResolvedValueOnce(list([apiKey()])).mockResolvedValue(list([created, apiKey()]));
    vi.mocked(createApiKey).mockResolvedValue({ key: created, secret: SECRET });
    renderPage();

    await user.click(await screen.findByRole('button', { name: 'Create key' }));
    const dialog = screen.getByRole('dialog', { name: 'Create an API key' });
    const name = within(dialog).getByLabelText('Name');
    expect(name).toHaveFocus();

    // Client checks first: a name is needed and metadata must be a JSON object.
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));
    expect(name).toHaveAccessibleDescription(expect.stringContaining('Give the key a name'));
    await user.type(name, 'Staging');
    await user.click(within(dialog).getByLabelText(/Test/));
    const metadata = within(dialog).getByLabelText(/Metadata/);
    await user.type(metadata, '[[1, 2]');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));
    expect(metadata).toHaveAccessibleDescription(expect.stringContaining('must be a JSON object'));
    expect(metadata).toHaveFocus();
    expect(createApiKey).not.toHaveBeenCalled();

    await user.clear(metadata);
    await user.type(metadata, '{{"customer": "acme"}');
    await user.type(within(dialog).getByLabelText(/Rate limit per minute/), '120');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));

    expect(createApiKey).toHaveBeenCalledWith({
      name: 'Staging',
      environment: 'test',
      rateLimitPerMinute: 120,
      metadata: { customer: 'acme' },
    });
    const secretDialog = await screen.findByRole('dialog', { name: 'Copy your key now' });
    expect(within(secretDialog).getByTestId('api-key-secret')).toHaveTextContent(SECRET);
    expect(secretDialog).toHaveTextContent('This is the only time the full key is shown.');
    // No way to dismiss it by accident: no close button.
    expect(within(secretDialog).queryByRole('button', { name: 'Close' })).not.toBeInTheDocument();

    await user.click(within(secretDialog).getByRole('button', { name: 'Copy key' }));
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(within(secretDialog).getByRole('button', { name: 'Copied' })).toBeInTheDocument();
    expect(within(secretDialog).getByRole('link', { name: 'Try it in the API playground' })).toHaveAttribute('href', '/playground');
    // Kept in memory for the playground to prefill (not in any storage).
    expect(useRevealedKeyStore.getState().revealed).toEqual({
      id: created.id,
      name: 'Staging',
      prefix: 'tg_test_AbCdEfGh',
      secret: SECRET,
      how: 'created',
    });
    expect(JSON.stringify({ ...localStorage })).not.toContain(SECRET);
    expect(JSON.stringify({ ...sessionStorage })).not.toContain(SECRET);

    await user.click(within(secretDialog).getByRole('button', { name: 'I have stored the key' }));
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    // Shown once: after closing, the secret is nowhere on the page, only the new key's prefix.
    expect(document.body).not.toHaveTextContent(SECRET);
    expect(await screen.findByText('tg_test_AbCdEfGh…')).toBeInTheDocument();
    expect(listApiKeys).toHaveBeenCalledTimes(2);
  });

  it('says so when the plan limit is reached, and explains a KEY_LIMIT_REACHED answer', async () => {
    const user = userEvent.setup();
    vi.mocked(listApiKeys).mockResolvedValue(
      list([apiKey(), apiKey({ id: '55555555-5555-4555-8555-555555555555', name: 'Second' })]),
    );
    renderPage();
    expect(await screen.findByTestId('key-allowance')).toHaveTextContent('2 of 2 active keys');
    expect(screen.getByTestId('key-limit')).toHaveTextContent("You are at your plan's key limit.");
    const create = screen.getByRole('button', { name: 'Create key' });
    expect(create).toHaveAttribute('aria-disabled', 'true');
    expect(create).toHaveAccessibleDescription(expect.stringContaining('Your plan allows 2 active keys'));
    await user.click(create);
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
  });

  it('maps a server KEY_LIMIT_REACHED on create to a form message', async () => {
    const user = userEvent.setup();
    vi.mocked(listApiKeys).mockResolvedValue(list([apiKey()]));
    vi.mocked(createApiKey).mockRejectedValue(problem(403, 'KEY_LIMIT_REACHED'));
    renderPage();
    await user.click(await screen.findByRole('button', { name: 'Create key' }));
    const dialog = screen.getByRole('dialog', { name: 'Create an API key' });
    await user.type(within(dialog).getByLabelText('Name'), 'Third');
    await user.click(within(dialog).getByRole('button', { name: 'Create key' }));
    const alert = await within(dialog).findByText(/reached your plan's key limit/);
    expect(alert.closest('[role="alert"]')).toHaveFocus();
  });

  it('revokes only after the key name is typed', async () => {
    const user = userEvent.setup();
    const key = apiKey();
    vi.mocked(listApiKeys).mockResolvedValueOnce(list([key])).mockResolvedValue(list([{ ...key, status: 'revoked', revokedAt: '2025-02-01T00:00:00Z' }]));
    vi.mocked(revokeApiKey).mockResolvedValue();
    renderPage();

    await user.click(await screen.findByRole('button', { name: 'Revoke Production server' }));
    const dialog = screen.getByRole('dialog', { name: 'Revoke API key' });
    expect(dialog).toHaveTextContent('This cannot be undone.');
    const confirm = within(dialog).getByLabelText(/to confirm/);
    expect(confirm).toHaveFocus();

    await user.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    expect(confirm).toHaveAccessibleDescription('Type the key name to confirm.');
    await user.type(confirm, 'Production');
    await user.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    expect(confirm).toHaveAccessibleDescription(expect.stringContaining('not the name of this key'));
    expect(revokeApiKey).not.toHaveBeenCalled();

    await user.type(confirm, ' server');
    await user.click(within(dialog).getByRole('button', { name: 'Revoke key' }));
    await waitFor(() => expect(revokeApiKey).toHaveBeenCalledWith(key.id));
    await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    expect(screen.getByText(/Revoked “Production server”/)).toBeInTheDocument();
    expect(await screen.findByText('Revoked keys (1)')).toBeInTheDocument();
  });

  it('closes the revoke dialog with Escape without revoking', async () => {
    const user = userEvent.setup();
    vi.mocked(listApiKeys).mockResolvedValue(list([apiKey()]));
    renderPage();
    const open = await screen.findByRole('button', { name: 'Revoke Production server' });
    await user.click(open);
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(revokeApiKey).not.toHaveBeenCalled();
    await waitFor(() => expect(open).toHaveFocus());
  });

  it('rotates with a grace period and shows the new secret once', async () => {
    const user = userEvent.setup();
    const key = apiKey();
    const next = apiKey({ id: '66666666-6666-4666-8666-666666666666', prefix: 'tg_live_N3wK3y00', rotatedFromId: key.id });
    const graceEndsAt = new Date(Date.now() + 48 * 3_600_000).toISOString();
    vi.mocked(listApiKeys).mockResolvedValue(list([key]));
    vi.mocked(rotateApiKey).mockResolvedValue({ key: next, secret: SECRET, previous: { ...key, graceEndsAt } });
    renderPage();

    await user.click(await screen.findByRole('button', { name: 'Rotate Production server' }));
    const dialog = screen.getByRole('dialog', { name: /Rotate/ });
    const hours = within(dialog).getByLabelText('Grace period (hours)');
    expect(hours).toHaveValue('24');
    await user.clear(hours);
    await user.type(hours, '721');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate key' }));
    expect(hours).toHaveAccessibleDescription(expect.stringContaining('from 0 to 720'));
    await user.clear(hours);
    await user.type(hours, '48');
    await user.click(within(dialog).getByRole('button', { name: 'Rotate key' }));

    expect(rotateApiKey).toHaveBeenCalledWith(key.id, 48);
    const secretDialog = await screen.findByRole('dialog', { name: 'Copy your new key now' });
    expect(within(secretDialog).getByTestId('api-key-secret')).toHaveTextContent(SECRET);
    expect(within(secretDialog).getByTestId('rotation-note')).toHaveTextContent('keeps working until');
    expect(useRevealedKeyStore.getState().revealed).toMatchObject({ id: next.id, secret: SECRET, how: 'rotated' });
  });
});
