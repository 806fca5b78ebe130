import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type * as DownloadLib from '@/lib/download';
import { downloadFile } from '@/lib/download';
import { problem } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { ApiKey, Quota, UsageEvent } from '@/types';
import type * as UsageApi from '../api/usage';
import { exportUsageCsv, getQuota, getUsageOverview, listKeys, listUsageEvents, type UsageOverview } from '../api/usage';
import { UsagePage } from './usage-page';

vi.mock('../api/usage', async (importOriginal) => {
  const original = await importOriginal<typeof UsageApi>();
  return {
    ...original,
    getUsageOverview: vi.fn(),
    getQuota: vi.fn(),
    listUsageEvents: vi.fn(),
    listKeys: vi.fn(),
    exportUsageCsv: vi.fn(),
  };
});
vi.mock('@/lib/download', async (importOriginal) => {
  const original = await importOriginal<typeof DownloadLib>();
  return { ...original, downloadFile: vi.fn() };
});

const KEY: ApiKey = {
  id: '11111111-1111-4111-8111-111111111111',
  name: 'Production server',
  prefix: 'tg_live_3xAmPlE0',
  environment: 'live',
  status: 'active',
  createdAt: '2025-01-02T10:00:00Z',
  expiresAt: null,
  lastUsedAt: null,
  lastUsedIp: null,
  rateLimitPerMinute: null,
  metadata: {},
  rotatedFromId: null,
  graceEndsAt: null,
  revokedAt: null,
};

const QUOTA: Quota = {
  plan: { slug: 'free', name: 'Free' },
  limit: 1000,
  used: 250,
  remaining: 750,
  percent: 25,
  policy: 'hard_cap',
  periodStart: '2025-01-01T00:00:00Z',
  resetsAt: '2025-02-01T00:00:00Z',
};

const EMPTY: UsageOverview = {
  summary: {
    from: '2025-01-01T00:00:00Z',
    to: '2025-01-31T00:00:00Z',
    requests: 0,
    costUnits: 0,
    errors: 0,
    serverErrors: 0,
    rejected: 0,
    errorRate: 0,
    latencyP50Ms: null,
    latencyP95Ms: null,
  },
  timeseries: { granularity: 'day', points: [] },
  byEndpoint: [],
};

const LOADED: UsageOverview = {
  summary: { ...EMPTY.summary, requests: 1234, costUnits: 1200, errors: 34, serverErrors: 4, rejected: 30, errorRate: 34 / 1234, latencyP50Ms: 0.42, latencyP95Ms: 1.8 },
  timeseries: {
    granularity: 'day',
    points: [
      { t: '2025-01-01T00:00:00Z', requests: 600, errors: 10, costUnits: 590, latencyP50Ms: 0.4, latencyP95Ms: 1.5 },
      { t: '2025-01-02T00:00:00Z', requests: 634, errors: 24, costUnits: 610, latencyP50Ms: 0.44, latencyP95Ms: 1.8 },
    ],
  },
  byEndpoint: [
    { method: 'GET', endpoint: '/v1/search', requests: 1000, errors: 30, costUnits: 1000, latencyP50Ms: 0.4, latencyP95Ms: 1.7 },
    { method: 'POST', endpoint: '/v1/orders', requests: 234, errors: 4, costUnits: 200, latencyP50Ms: 0.5, latencyP95Ms: 2.1 },
  ],
};

function event(i: number, overrides: Partial<UsageEvent> = {}): UsageEvent {
  return {
    id: `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`,
    occurredAt: new Date(Date.now() - i * 60_000).toISOString(),
    keyId: KEY.id,
    source: 'verify',
    method: 'GET',
    endpoint: '/v1/search',
    statusCode: 200,
    code: 'VALID',
    cost: 1,
    latencyMs: 0.4,
    requestBytes: 0,
    responseBytes: 0,
    requestId: `req-${i}`,
    ...overrides,
  };
}

function renderPage(url = '/usage') {
  return render(
    <TestRouter url={url}>
      <UsagePage />
    </TestRouter>,
  );
}

describe('UsagePage', () => {
  beforeEach(() => {
    vi.mocked(getUsageOverview).mockReset();
    vi.mocked(getQuota).mockReset().mockResolvedValue(QUOTA);
    vi.mocked(listKeys).mockReset().mockResolvedValue([KEY]);
    vi.mocked(listUsageEvents).mockReset();
    vi.mocked(exportUsageCsv).mockReset();
    vi.mocked(downloadFile).mockReset();
  });

  it('shows a getting-started empty state when there is no usage and no key yet', async () => {
    vi.mocked(getUsageOverview).mockResolvedValue(EMPTY);
    vi.mocked(listKeys).mockResolvedValue([]);
    vi.mocked(getQuota).mockResolvedValue({ ...QUOTA, used: 0, remaining: 1000, percent: 0 });
    renderPage();

    expect(await screen.findByText('No usage yet')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Create an API key' })).toHaveAttribute('href', '/keys');
    expect(screen.getByRole('link', { name: 'Read the verify API docs' })).toHaveAttribute('href', '/docs/api#verifyKey');
    // The quota is still shown; charts and tables are not.
    expect(await screen.findByTestId('quota')).toHaveTextContent('0 / 1,000');
    expect(screen.queryByTestId('requests-chart')).not.toBeInTheDocument();
    expect(screen.queryByTestId('by-endpoint')).not.toBeInTheDocument();
    expect(listUsageEvents).not.toHaveBeenCalled();
  });

  it('says the range is empty when keys exist but nothing was recorded', async () => {
    vi.mocked(getUsageOverview).mockResolvedValue(EMPTY);
    renderPage();
    expect(await screen.findByText('No usage in this range')).toBeInTheDocument();
  });

  it('shows totals, charts, the endpoint table, quota and events with "load more"', async () => {
    const user = userEvent.setup();
    vi.mocked(getUsageOverview).mockResolvedValue(LOADED);
    vi.mocked(listUsageEvents)
      .mockResolvedValueOnce({ items: [event(1), event(2, { statusCode: 429, code: 'RATE_LIMITED', cost: 0 })], nextCursor: 'c2' })
      .mockResolvedValueOnce({ items: [event(3)], nextCursor: null });
    renderPage();

    expect(await screen.findByTestId('stat-requests')).toHaveTextContent('1,234');
    expect(screen.getByTestId('stat-errors')).toHaveTextContent('34');
    expect(screen.getByTestId('stat-errors')).toHaveTextContent('2.8% error rate');
    expect(screen.getByTestId('stat-latency')).toHaveTextContent('0.42 ms / 1.8 ms');
    expect(screen.getByTestId('requests-chart')).toHaveTextContent('Requests and errors');
    expect(screen.getByTestId('latency-chart')).toHaveTextContent('Latency (p50 and p95)');

    const quota = await screen.findByTestId('quota');
    expect(quota).toHaveTextContent('250 / 1,000');
    expect(within(quota).getByRole('progressbar', { name: 'Quota used' })).toHaveAttribute('aria-valuenow', '25');
    expect(quota).toHaveTextContent('Hard cap');

    const endpoints = screen.getByTestId('by-endpoint');
    const rows = within(endpoints).getAllByRole('row');
    expect(rows).toHaveLength(3);
    expect(rows[1]).toHaveTextContent('/v1/search');
    expect(rows[1]).toHaveTextContent('1,000');

    const events = await screen.findByTestId('usage-events');
    expect(within(events).getAllByTestId('usage-event')).toHaveLength(2);
    expect(events).toHaveTextContent('Production server');
    expect(events).toHaveTextContent('RATE_LIMITED');
    expect(listUsageEvents).toHaveBeenLastCalledWith(expect.objectContaining({ statusClass: undefined }), null, expect.anything());

    await user.click(screen.getByRole('button', { name: 'Load more' }));
    await waitFor(() => expect(within(screen.getByTestId('usage-events')).getAllByTestId('usage-event')).toHaveLength(3));
    expect(listUsageEvents).toHaveBeenLastCalledWith(expect.anything(), 'c2', expect.anything());
    expect(screen.queryByRole('button', { name: 'Load more' })).not.toBeInTheDocument();
    expect(screen.getByText(/Showing 3 events \(all of them\)/)).toBeInTheDocument();
  });

  it('refetches for another range and key, and exports the range as CSV', async () => {
    const user = userEvent.setup();
    vi.mocked(getUsageOverview).mockResolvedValue(LOADED);
    vi.mocked(listUsageEvents).mockResolvedValue({ items: [event(1)], nextCursor: null });
    vi.mocked(exportUsageCsv).mockResolvedValue({ csv: 'occurredAt,keyId\n', filename: 'usage.csv' });
    renderPage();
    await screen.findByTestId('stat-requests');
    expect(getUsageOverview).toHaveBeenLastCalledWith(expect.objectContaining({ keyId: undefined }), 'day', expect.anything());

    await user.click(screen.getByRole('radio', { name: 'Last 24 hours' }));
    await waitFor(() => expect(getUsageOverview).toHaveBeenLastCalledWith(expect.anything(), 'hour', expect.anything()));
    const [range] = vi.mocked(getUsageOverview).mock.lastCall!;
    expect(Date.parse(range.to) - Date.parse(range.from)).toBe(24 * 3_600_000);

    await user.selectOptions(screen.getByLabelText('Key'), KEY.id);
    await waitFor(() => expect(getUsageOverview).toHaveBeenLastCalledWith(expect.objectContaining({ keyId: KEY.id }), 'hour', expect.anything()));

    await user.click(screen.getByRole('button', { name: 'Export CSV' }));
    await waitFor(() => expect(downloadFile).toHaveBeenCalledWith('occurredAt,keyId\n', 'usage.csv', 'text/csv;charset=utf-8'));
    expect(exportUsageCsv).toHaveBeenCalledWith(expect.objectContaining({ keyId: KEY.id }));
  });

  it('shows an error with a retry when usage cannot be loaded', async () => {
    vi.mocked(getUsageOverview).mockRejectedValue(problem(503, 'SERVICE_UNAVAILABLE'));
    renderPage();
    expect(await screen.findByText('Could not load usage')).toBeInTheDocument();
    expect(screen.getAllByRole('button', { name: 'Try again' }).length).toBeGreaterThan(0);
  });
});
