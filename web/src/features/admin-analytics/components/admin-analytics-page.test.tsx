import { render, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { problem, resetAuth, signInAs } from '@/testing/fixtures';
import { TestRouter } from '@/testing/router';
import type { AdminAnalytics, AnalyticsDay } from '@/types';
import { getAdminAnalytics } from '../api/admin-analytics';
import { AdminAnalyticsPage } from './admin-analytics-page';

vi.mock('../api/admin-analytics', () => ({ getAdminAnalytics: vi.fn() }));

// jsdom has no layout and no ResizeObserver (Recharts' ResponsiveContainer needs one).
class NoResizeObserver {
  observe() {}
  unobserve() {}
  disconnect() {}
}

const ACME_ID = '00000000-0000-4000-8000-0000000000a1';
const NOW = new Date('2026-03-15T22:30:00Z');

function day(d: string, values: Partial<AnalyticsDay> = {}): AnalyticsDay {
  return {
    day: d,
    signups: 0,
    logins: 0,
    activeOrganizations: 0,
    requests: 0,
    errors: 0,
    serverErrors: 0,
    rejected: 0,
    rateLimited: 0,
    quotaRejected: 0,
    paidConversions: 0,
    churned: 0,
    avgLatencyMs: 0,
    ...values,
  };
}

const DAYS: AnalyticsDay[] = [
  day('2026-03-14', {
    signups: 3,
    logins: 10,
    activeOrganizations: 2,
    requests: 1200,
    errors: 60,
    serverErrors: 5,
    rejected: 40,
    rateLimited: 25,
    quotaRejected: 10,
    paidConversions: 1,
    avgLatencyMs: 1.25,
  }),
  day('2026-03-15', {
    signups: 2,
    logins: 8,
    activeOrganizations: 3,
    requests: 800,
    errors: 20,
    serverErrors: 1,
    rejected: 12,
    rateLimited: 7,
    quotaRejected: 3,
    churned: 1,
    avgLatencyMs: 0.8,
  }),
];

const REPORT: AdminAnalytics = {
  from: '2026-02-14',
  to: '2026-03-15',
  daily: DAYS,
  totals: {
    signups: 5,
    logins: 18,
    activeOrganizations: 3,
    requests: 2000,
    errors: 80,
    serverErrors: 6,
    rejected: 52,
    rateLimited: 32,
    quotaRejected: 13,
    paidConversions: 1,
    churned: 1,
    avgLatencyMs: 1.07,
  },
  mrr: [
    { currency: 'USD', amount: 190000, arr: 2280000 },
    { currency: 'EUR', amount: 800, arr: 9600 },
    { currency: 'GBP', amount: 0, arr: 0 },
  ],
  payingOrganizations: 12,
  usersTotal: 1234,
  conversionRate: 0.2,
  churnRate: 1 / 12,
  revenueByMonth: [
    { month: '2026-02', currency: 'USD', amount: 150000 },
    { month: '2026-03', currency: 'EUR', amount: 800 },
    { month: '2026-03', currency: 'USD', amount: 190000 },
  ],
  topOrganizations: [
    { id: ACME_ID, name: 'Acme Corp', requests: 1500, errors: 50, costUnits: 1450 },
    { id: '00000000-0000-4000-8000-0000000000a2', name: 'Globex', requests: 500, errors: 30, costUnits: 470 },
  ],
  topEndpoints: [{ method: 'GET', endpoint: '/echo/*', requests: 2000, errors: 80, avgLatencyMs: 1.07 }],
};

/** What a fresh install answers before the rollups ran: no day, no snapshot. */
const NOTHING_YET: AdminAnalytics = {
  ...REPORT,
  daily: [],
  totals: { ...REPORT.totals, signups: 0, logins: 0, activeOrganizations: 0, requests: 0, errors: 0, serverErrors: 0, rejected: 0, rateLimited: 0, quotaRejected: 0, paidConversions: 0, churned: 0, avgLatencyMs: 0 },
  mrr: [],
  payingOrganizations: 0,
  usersTotal: 0,
  conversionRate: 0,
  churnRate: 0,
  revenueByMonth: [],
  topOrganizations: [],
  topEndpoints: [],
};

function renderAt(url = '/admin/analytics') {
  return render(
    <TestRouter url={url}>
      <AdminAnalyticsPage />
    </TestRouter>,
  );
}

describe('AdminAnalyticsPage', () => {
  // For the whole file: chart effects may still mount while a test's render is cleaned up.
  beforeAll(() => {
    vi.stubGlobal('ResizeObserver', NoResizeObserver);
  });
  afterAll(() => {
    vi.unstubAllGlobals();
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    resetAuth();
    signInAs({ role: 'ADMIN', twoFactorEnabled: true });
    vi.mocked(getAdminAnalytics).mockReset().mockResolvedValue(REPORT);
  });

  afterEach(() => {
    vi.useRealTimers();
  });

  it('asks for the last 30 UTC days and shows the KPIs, MRR/ARR per currency from minor units', async () => {
    renderAt();
    expect(screen.getByText('Loading analytics…')).toBeInTheDocument();
    expect(await screen.findByTestId('kpi-users')).toHaveTextContent('1,234');
    expect(getAdminAnalytics).toHaveBeenCalledWith({ from: '2026-02-14', to: '2026-03-15' }, expect.any(AbortSignal));

    expect(screen.getByTestId('kpi-signups')).toHaveTextContent('5');
    expect(screen.getByTestId('kpi-logins')).toHaveTextContent('18');
    expect(screen.getByTestId('kpi-paying')).toHaveTextContent('12');
    expect(screen.getByTestId('kpi-mrr-USD')).toHaveTextContent('$1,900.00');
    expect(screen.getByTestId('kpi-mrr-USD')).toHaveTextContent('ARR $22,800.00');
    expect(screen.getByTestId('kpi-mrr-EUR')).toHaveTextContent('€8.00');
    expect(screen.getByTestId('kpi-mrr-EUR')).toHaveTextContent('ARR €96.00');
    // A currency nobody pays in is not a card.
    expect(screen.queryByTestId('kpi-mrr-GBP')).not.toBeInTheDocument();
    expect(screen.getByTestId('kpi-conversion')).toHaveTextContent('20%');
    expect(screen.getByTestId('kpi-conversion')).toHaveTextContent('1 first paid invoice / 5 signups');
    expect(screen.getByTestId('kpi-churn')).toHaveTextContent('8.3%');
    expect(screen.getByTestId('kpi-active')).toHaveTextContent('3');
    expect(screen.getByTestId('kpi-requests')).toHaveTextContent('2,000');
    expect(screen.getByTestId('kpi-requests')).toHaveTextContent('32 rate-limited · 13 over quota');
    expect(screen.getByTestId('analytics-range')).toHaveTextContent('30 days');
  });

  it('shows the top organizations (linked to their admin page) and the top endpoints', async () => {
    renderAt();
    const orgs = await screen.findByTestId('top-organizations');
    const rows = within(orgs).getAllByTestId('top-organization');
    expect(rows).toHaveLength(2);
    expect(within(rows[0]!).getByRole('link', { name: 'Acme Corp' })).toHaveAttribute('href', `/admin/organizations/${ACME_ID}`);
    expect(rows[0]).toHaveTextContent('1,500');
    expect(rows[0]).toHaveTextContent('1,450');
    expect(rows[1]).toHaveTextContent('Globex');

    const endpoints = screen.getByTestId('top-endpoints');
    const [echo] = within(endpoints).getAllByTestId('top-endpoint');
    expect(echo).toHaveTextContent('GET');
    expect(echo).toHaveTextContent('/echo/*');
    expect(echo).toHaveTextContent('2,000');
    expect(echo).toHaveTextContent('1.1 ms');
  });

  it('gives every chart a text alternative: a summary and the numbers as a table', async () => {
    renderAt();
    await screen.findByTestId('kpi-users');

    const signups = screen.getByRole('figure', { name: 'Signups and logins per day' });
    expect(signups).toHaveTextContent('5 signups and 18 logins over 2 days.');
    const signupRows = within(within(signups).getByRole('table', { name: 'Signups and logins per day' })).getAllByRole('row');
    expect(signupRows).toHaveLength(3);
    expect(signupRows[1]).toHaveTextContent('Mar 14, 2026');

    const traffic = screen.getByRole('figure', { name: 'API requests, errors and refusals per day' });
    expect(traffic).toHaveTextContent('2,000 API requests, 80 errors, 32 refused by the rate limit and 13 refused over quota.');
    const trafficTable = within(traffic).getByRole('table');
    const [, first] = within(trafficTable).getAllByRole('row');
    // 1,200 requests = 1,140 OK + 20 other errors + 25 rate-limited + 10 over quota + 5 other refusals.
    expect(within(first!).getAllByRole('cell').map((c) => c.textContent)).toEqual(['1,200', '1,140', '20', '25', '10', '5']);

    expect(screen.getByRole('figure', { name: 'Average latency per day' })).toHaveTextContent('Highest daily average latency: 1.3 ms');
    const revenue = screen.getByRole('figure', { name: 'Revenue by month' });
    expect(revenue).toHaveTextContent('$3,400.00');
    const revenueRows = within(within(revenue).getByRole('table')).getAllByRole('row');
    expect(revenueRows.map((r) => r.textContent)).toEqual(['MonthEURUSD', 'Feb 2026€0.00$1,500.00', 'Mar 2026€8.00$1,900.00']);
  });

  it('asks for another range when a preset is picked, and for custom dates once they are valid', async () => {
    const user = userEvent.setup();
    renderAt();
    await screen.findByTestId('kpi-users');

    await user.click(screen.getByRole('radio', { name: 'Last 7 days' }));
    await waitFor(() => expect(getAdminAnalytics).toHaveBeenLastCalledWith({ from: '2026-03-09', to: '2026-03-15' }, expect.any(AbortSignal)));
    expect(screen.getByTestId('analytics-range')).toHaveTextContent('7 days');

    await user.click(screen.getByRole('radio', { name: 'Last 90 days' }));
    await waitFor(() => expect(getAdminAnalytics).toHaveBeenLastCalledWith({ from: '2025-12-16', to: '2026-03-15' }, expect.any(AbortSignal)));

    // Custom starts from the range on screen; a reversed range is refused without a request.
    await user.click(screen.getByRole('radio', { name: 'Custom range' }));
    const from = await screen.findByLabelText('From (UTC)');
    expect(from).toHaveValue('2025-12-16');
    const calls = vi.mocked(getAdminAnalytics).mock.calls.length;
    await user.clear(from);
    await user.type(from, '2026-03-20');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('The end date is before the start date.');
    expect(getAdminAnalytics).toHaveBeenCalledTimes(calls);

    await user.clear(from);
    await user.type(from, '2026-01-01');
    await user.click(screen.getByRole('button', { name: 'Apply' }));
    await waitFor(() => expect(getAdminAnalytics).toHaveBeenLastCalledWith({ from: '2026-01-01', to: '2026-03-15' }, expect.any(AbortSignal)));
  });

  it('reads a custom range from the URL, and refuses one longer than 366 days', async () => {
    const first = renderAt('/admin/analytics?range=custom&from=2025-06-01&to=2025-06-30');
    await screen.findByTestId('kpi-users');
    expect(getAdminAnalytics).toHaveBeenCalledWith({ from: '2025-06-01', to: '2025-06-30' }, expect.any(AbortSignal));
    expect(screen.getByLabelText('From (UTC)')).toHaveValue('2025-06-01');
    first.unmount();

    // 400 days: the server would refuse it, so the page falls back to the last 30 days.
    renderAt('/admin/analytics?range=custom&from=2025-01-01&to=2026-02-04');
    await screen.findByTestId('kpi-users');
    expect(getAdminAnalytics).toHaveBeenLastCalledWith({ from: '2026-02-14', to: '2026-03-15' }, expect.any(AbortSignal));
  });

  it('explains that the numbers appear within a minute when there is no data yet', async () => {
    vi.mocked(getAdminAnalytics).mockResolvedValue(NOTHING_YET);
    renderAt();
    expect(await screen.findByText('No analytics yet')).toBeInTheDocument();
    expect(screen.getByText(/within a minute of happening/)).toBeInTheDocument();
    expect(screen.queryByTestId('kpi-users')).not.toBeInTheDocument();
    expect(screen.queryByRole('figure')).not.toBeInTheDocument();
  });

  it('says when nothing happened in the range, still with the KPIs', async () => {
    vi.mocked(getAdminAnalytics).mockResolvedValue({ ...NOTHING_YET, daily: [day('2026-03-15')], usersTotal: 40, mrr: [{ currency: 'USD', amount: 0, arr: 0 }] });
    renderAt();
    expect(await screen.findByText('No activity in this range')).toBeInTheDocument();
    expect(screen.getByTestId('kpi-users')).toHaveTextContent('40');
    expect(screen.getByTestId('kpi-mrr-USD')).toHaveTextContent('$0.00');
    expect(screen.queryByTestId('top-organizations')).not.toBeInTheDocument();
  });

  it('shows a load error with a retry, and explains the two-factor requirement', async () => {
    const user = userEvent.setup();
    vi.mocked(getAdminAnalytics).mockRejectedValueOnce(problem(500, 'INTERNAL'));
    renderAt();
    expect(await screen.findByText('Could not load the analytics')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Try again' }));
    expect(await screen.findByTestId('kpi-users')).toHaveTextContent('1,234');

    vi.mocked(getAdminAnalytics).mockRejectedValue(problem(403, 'ADMIN_2FA_REQUIRED'));
    renderAt('/admin/analytics?range=7d');
    expect(await screen.findByTestId('admin-2fa-required')).toHaveTextContent('Turn on two-factor authentication first');
  });
});
