import type { AdminAnalytics, AnalyticsDay } from '@/types';

export type MrrEntry = AdminAnalytics['mrr'][number];
export type RevenueMonth = AdminAnalytics['revenueByMonth'][number];

const ACTIVITY: readonly (keyof AnalyticsDay)[] = ['signups', 'logins', 'requests', 'paidConversions', 'churned'];

/** Something happened in the range: a signup, a login, an API call, a conversion or a churn. */
export function hasActivity(a: AdminAnalytics): boolean {
  return (
    a.daily.some((d) => ACTIVITY.some((k) => Number(d[k]) > 0)) || a.topOrganizations.length > 0 || a.topEndpoints.length > 0
  );
}

/**
 * Nothing to show at all: the rollups have not run yet (no day, no snapshot) or there is nothing in them. A fresh
 * install answers like this for up to a minute after its first activity.
 */
export function isEmptyReport(a: AdminAnalytics): boolean {
  return (
    !hasActivity(a) &&
    a.usersTotal === 0 &&
    a.payingOrganizations === 0 &&
    a.revenueByMonth.length === 0 &&
    a.mrr.every((m) => m.amount === 0)
  );
}

/** The MRR cards: every currency that earns something; with none, the first currency (MRR 0); [] before any snapshot. */
export function visibleMrr(mrr: readonly MrrEntry[]): MrrEntry[] {
  const sorted = [...mrr].sort((x, y) => x.currency.localeCompare(y.currency));
  const earning = sorted.filter((m) => m.amount > 0);
  if (earning.length > 0) return earning;
  const usd = sorted.find((m) => m.currency === 'USD');
  return usd ? [usd] : sorted.slice(0, 1);
}

export interface TrafficRow {
  day: string;
  requests: number;
  /** Answered below 400. */
  ok: number;
  /** Errors that are not Tollgate refusals (the upstream's 4xx/5xx, unreachable upstreams). */
  failed: number;
  rateLimited: number;
  quotaRejected: number;
  /** Refused for another reason: revoked, expired or disabled key, payment required. */
  otherRefusals: number;
}

const clamp = (n: number) => (n > 0 ? n : 0);

/**
 * A day's requests split into parts that add up to the total, for a stacked chart. Refusals are errors (4xx), and
 * rate-limit and quota refusals are refusals.
 */
export function trafficRows(daily: readonly AnalyticsDay[]): TrafficRow[] {
  return daily.map((d) => ({
    day: d.day,
    requests: d.requests,
    ok: clamp(d.requests - d.errors),
    failed: clamp(d.errors - d.rejected),
    rateLimited: d.rateLimited,
    quotaRejected: d.quotaRejected,
    otherRefusals: clamp(d.rejected - d.rateLimited - d.quotaRejected),
  }));
}

export interface LatencyRow {
  day: string;
  /** null on a day without requests (a gap, not a zero). */
  avgLatencyMs: number | null;
}

export function latencyRows(daily: readonly AnalyticsDay[]): LatencyRow[] {
  return daily.map((d) => ({ day: d.day, avgLatencyMs: d.requests > 0 ? d.avgLatencyMs : null }));
}

export interface RevenueTable {
  currencies: string[];
  /** One row per month (oldest first), the amount in minor units per currency (0 where none was paid). */
  rows: ({ month: string } & Record<string, number | string>)[];
}

/** revenueByMonth (month × currency pairs) as one row per month with a column per currency. */
export function revenueTable(items: readonly RevenueMonth[]): RevenueTable {
  const currencies = [...new Set(items.map((r) => r.currency))].sort();
  const months = [...new Set(items.map((r) => r.month))].sort();
  const rows = months.map((month) => {
    const row: { month: string } & Record<string, number | string> = { month };
    for (const c of currencies) row[c] = 0;
    for (const r of items) if (r.month === month) row[r.currency] = Number(row[r.currency] ?? 0) + r.amount;
    return row;
  });
  return { currencies, rows };
}

/** The busiest day of a series (the first one on a tie), or undefined when every value is 0. */
export function peakDay<T extends { day: string }>(rows: readonly T[], value: (row: T) => number): T | undefined {
  let best: T | undefined;
  for (const r of rows) if (value(r) > 0 && (!best || value(r) > value(best))) best = r;
  return best;
}
