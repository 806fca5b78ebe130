import { describe, expect, it } from 'vitest';
import type { AnalyticsDay } from '@/types';
import { latencyRows, peakDay, revenueTable, trafficRows, visibleMrr } from './analytics-data';

const DAY: AnalyticsDay = {
  day: '2026-03-15',
  signups: 0,
  logins: 0,
  activeOrganizations: 1,
  requests: 100,
  errors: 30,
  serverErrors: 2,
  rejected: 20,
  rateLimited: 12,
  quotaRejected: 5,
  paidConversions: 0,
  churned: 0,
  avgLatencyMs: 2.5,
};

describe('analytics data', () => {
  it('splits requests into parts that add up: OK, other errors, rate-limited, over quota, other refusals', () => {
    const [row] = trafficRows([DAY]);
    expect(row).toEqual({ day: DAY.day, requests: 100, ok: 70, failed: 10, rateLimited: 12, quotaRejected: 5, otherRefusals: 3 });
    expect(row!.ok + row!.failed + row!.rateLimited + row!.quotaRejected + row!.otherRefusals).toBe(100);
  });

  it('leaves a gap in latency on days without requests', () => {
    expect(latencyRows([DAY, { ...DAY, day: '2026-03-16', requests: 0, avgLatencyMs: 0 }]).map((r) => r.avgLatencyMs)).toEqual([2.5, null]);
  });

  it('pivots revenue to a row per month and a column per currency', () => {
    expect(
      revenueTable([
        { month: '2026-03', currency: 'USD', amount: 1900 },
        { month: '2026-02', currency: 'USD', amount: 900 },
        { month: '2026-03', currency: 'EUR', amount: 800 },
      ]),
    ).toEqual({
      currencies: ['EUR', 'USD'],
      rows: [
        { month: '2026-02', EUR: 0, USD: 900 },
        { month: '2026-03', EUR: 800, USD: 1900 },
      ],
    });
  });

  it('shows the MRR of each earning currency, or one zero card', () => {
    const zero = (currency: string) => ({ currency, amount: 0, arr: 0 });
    expect(visibleMrr([zero('GBP'), { currency: 'USD', amount: 5, arr: 60 }]).map((m) => m.currency)).toEqual(['USD']);
    expect(visibleMrr([zero('EUR'), zero('USD')])).toEqual([zero('USD')]);
    expect(visibleMrr([])).toEqual([]);
  });

  it('finds the busiest day, none when all are zero', () => {
    expect(peakDay([DAY, { ...DAY, day: 'x', requests: 200 }], (d) => d.requests)?.day).toBe('x');
    expect(peakDay([{ ...DAY, requests: 0 }], (d) => d.requests)).toBeUndefined();
  });
});
