import { useId, type ReactElement } from 'react';
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCompact, formatMs, formatNumber } from '@/lib/format';
import { currencyDigits, formatMoney } from '@/lib/money';
import type { AnalyticsDay, AdminAnalytics } from '@/types';
import { latencyRows, peakDay, revenueTable, trafficRows, type RevenueTable } from '../lib/analytics-data';
import { formatDay, formatMonth, formatShortDay } from '../lib/analytics-range';

type RevenueRow = RevenueTable['rows'][number];

const HEIGHT = 240;
const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };
const AXIS_TICK = { fontSize: 12, fill: 'var(--muted)' };
const TOOLTIP_STYLE = { background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, fontSize: 13 };
const CURRENCY_COLORS = ['var(--accent)', 'var(--success)', 'var(--info)', 'var(--warning)', 'var(--danger)'];

interface Column<T> {
  label: string;
  value: (row: T) => string;
}

/**
 * A chart card: the chart is hidden from assistive technology, which gets a one-sentence summary and the same
 * numbers as a (visually hidden) table instead. The chart follows the card's width (ResponsiveContainer).
 */
function ChartFigure<T>({
  title,
  summary,
  rows,
  rowHeader,
  columns,
  testId,
  children,
}: {
  title: string;
  summary: string;
  rows: readonly T[];
  rowHeader: Column<T>;
  columns: Column<T>[];
  testId: string;
  children: ReactElement;
}) {
  const titleId = useId();
  return (
    <figure className="chart card" data-testid={testId} aria-labelledby={titleId}>
      <figcaption id={titleId} className="chart__title">
        {title}
      </figcaption>
      <p className="sr-only">{summary}</p>
      <div className="chart__canvas" aria-hidden="true">
        <ResponsiveContainer width="100%" height={HEIGHT} minWidth={0}>
          {children}
        </ResponsiveContainer>
      </div>
      <table className="sr-only">
        <caption>{title}</caption>
        <thead>
          <tr>
            <th scope="col">{rowHeader.label}</th>
            {columns.map((c) => (
              <th key={c.label} scope="col">
                {c.label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r, i) => (
            <tr key={i}>
              <th scope="row">{rowHeader.value(r)}</th>
              {columns.map((c) => (
                <td key={c.label}>{c.value(r)}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </figure>
  );
}

const dayHeader = <T extends { day: string }>(): Column<T> => ({ label: 'Day (UTC)', value: (r) => formatDay(r.day) });
const sum = <T,>(rows: readonly T[], value: (r: T) => number) => rows.reduce((n, r) => n + value(r), 0);

/** The day axis (an element, not a component: Recharts finds its axes among the chart's direct children). */
function dayAxis(days: number) {
  return (
    <XAxis
      dataKey="day"
      tickFormatter={(d: string) => formatShortDay(d)}
      tick={AXIS_TICK}
      stroke="var(--border-strong)"
      minTickGap={days > 31 ? 32 : 20}
    />
  );
}

export function SignupsChart({ daily }: { daily: AnalyticsDay[] }) {
  const signups = sum(daily, (d) => d.signups);
  const logins = sum(daily, (d) => d.logins);
  const peak = peakDay(daily, (d) => d.signups);
  const summary =
    `${formatNumber(signups)} signups and ${formatNumber(logins)} logins over ${daily.length} days.` +
    (peak ? ` Most signups: ${formatDay(peak.day)} with ${formatNumber(peak.signups)}.` : '');
  return (
    <ChartFigure
      title="Signups and logins per day"
      summary={summary}
      rows={daily}
      rowHeader={dayHeader()}
      columns={[
        { label: 'Signups', value: (d) => formatNumber(d.signups) },
        { label: 'Logins', value: (d) => formatNumber(d.logins) },
      ]}
      testId="chart-signups"
    >
      <LineChart data={daily} margin={MARGIN}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        {dayAxis(daily.length)}
        <YAxis allowDecimals={false} tickFormatter={(v: number) => formatCompact(v)} tick={AXIS_TICK} stroke="var(--border-strong)" width={44} />
        <Tooltip labelFormatter={(d) => formatDay(String(d))} formatter={(v, name) => [formatNumber(Number(v)), name]} contentStyle={TOOLTIP_STYLE} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        <Line type="monotone" dataKey="signups" name="Signups" stroke="var(--accent)" strokeWidth={2} dot={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="logins" name="Logins" stroke="var(--info)" strokeWidth={2} dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartFigure>
  );
}

export function TrafficChart({ daily }: { daily: AnalyticsDay[] }) {
  const rows = trafficRows(daily);
  const requests = sum(daily, (d) => d.requests);
  const errors = sum(daily, (d) => d.errors);
  const rateLimited = sum(daily, (d) => d.rateLimited);
  const quota = sum(daily, (d) => d.quotaRejected);
  const peak = peakDay(daily, (d) => d.requests);
  const summary =
    `${formatNumber(requests)} API requests, ${formatNumber(errors)} errors, ${formatNumber(rateLimited)} refused by the rate limit ` +
    `and ${formatNumber(quota)} refused over quota.` +
    (peak ? ` Busiest: ${formatDay(peak.day)} with ${formatNumber(peak.requests)} requests.` : '');
  return (
    <ChartFigure
      title="API requests, errors and refusals per day"
      summary={summary}
      rows={rows}
      rowHeader={dayHeader()}
      columns={[
        { label: 'Requests', value: (r) => formatNumber(r.requests) },
        { label: 'OK', value: (r) => formatNumber(r.ok) },
        { label: 'Errors', value: (r) => formatNumber(r.failed) },
        { label: 'Rate-limited', value: (r) => formatNumber(r.rateLimited) },
        { label: 'Over quota', value: (r) => formatNumber(r.quotaRejected) },
        { label: 'Other refusals', value: (r) => formatNumber(r.otherRefusals) },
      ]}
      testId="chart-traffic"
    >
      <BarChart data={rows} margin={MARGIN}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        {dayAxis(rows.length)}
        <YAxis allowDecimals={false} tickFormatter={(v: number) => formatCompact(v)} tick={AXIS_TICK} stroke="var(--border-strong)" width={44} />
        <Tooltip labelFormatter={(d) => formatDay(String(d))} formatter={(v, name) => [formatNumber(Number(v)), name]} contentStyle={TOOLTIP_STYLE} />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        <Bar dataKey="ok" name="OK" stackId="traffic" fill="var(--accent)" isAnimationActive={false} />
        <Bar dataKey="failed" name="Errors" stackId="traffic" fill="var(--danger)" isAnimationActive={false} />
        <Bar dataKey="rateLimited" name="Rate-limited" stackId="traffic" fill="var(--warning)" isAnimationActive={false} />
        <Bar dataKey="quotaRejected" name="Over quota" stackId="traffic" fill="var(--info)" isAnimationActive={false} />
        <Bar dataKey="otherRefusals" name="Other refusals" stackId="traffic" fill="var(--muted)" isAnimationActive={false} />
      </BarChart>
    </ChartFigure>
  );
}

export function LatencyChart({ daily }: { daily: AnalyticsDay[] }) {
  const rows = latencyRows(daily);
  const measured = rows.filter((r): r is { day: string; avgLatencyMs: number } => r.avgLatencyMs !== null);
  const worst = peakDay(measured, (r) => r.avgLatencyMs);
  const summary = worst
    ? `Highest daily average latency: ${formatMs(worst.avgLatencyMs)} on ${formatDay(worst.day)}.`
    : 'No latency measured in this range.';
  return (
    <ChartFigure
      title="Average latency per day"
      summary={summary}
      rows={rows}
      rowHeader={dayHeader()}
      columns={[{ label: 'Average latency', value: (r) => formatMs(r.avgLatencyMs) }]}
      testId="chart-latency"
    >
      <LineChart data={rows} margin={MARGIN}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        {dayAxis(rows.length)}
        <YAxis tickFormatter={(v: number) => formatCompact(v)} tick={AXIS_TICK} stroke="var(--border-strong)" width={64} unit=" ms" />
        <Tooltip
          labelFormatter={(d) => formatDay(String(d))}
          formatter={(v, name) => [formatMs(v === null || v === undefined ? null : Number(v)), name]}
          contentStyle={TOOLTIP_STYLE}
        />
        <Line type="monotone" dataKey="avgLatencyMs" name="Average" stroke="var(--warning)" strokeWidth={2} dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartFigure>
  );
}

/** Paid invoices of the 12 months up to the range's end, a bar per currency (amounts in minor units). */
export function RevenueChart({ revenue }: { revenue: AdminAnalytics['revenueByMonth'] }) {
  const { currencies, rows } = revenueTable(revenue);
  const totals = currencies.map((c) => formatMoney(sum(revenue.filter((r) => r.currency === c), (r) => r.amount), c));
  const summary = `Paid invoices over ${rows.length} ${rows.length === 1 ? 'month' : 'months'}: ${totals.join(', ')}.`;
  const single = currencies.length === 1 ? currencies[0] : undefined;
  const axis = (v: number) => (single ? formatCompact(v / 10 ** currencyDigits(single)) : formatCompact(v));
  return (
    <ChartFigure
      title="Revenue by month"
      summary={summary}
      rows={rows}
      rowHeader={{ label: 'Month', value: (r) => formatMonth(r.month) }}
      columns={currencies.map((c): Column<RevenueRow> => ({ label: c, value: (r) => formatMoney(Number(r[c] ?? 0), c) }))}
      testId="chart-revenue"
    >
      <BarChart data={rows} margin={MARGIN}>
        <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
        <XAxis dataKey="month" tickFormatter={(m: string) => formatMonth(m)} tick={AXIS_TICK} stroke="var(--border-strong)" minTickGap={16} />
        <YAxis tickFormatter={axis} tick={AXIS_TICK} stroke="var(--border-strong)" width={52} />
        <Tooltip
          labelFormatter={(m) => formatMonth(String(m))}
          formatter={(v, name) => [formatMoney(Number(v), String(name)), name]}
          contentStyle={TOOLTIP_STYLE}
        />
        <Legend wrapperStyle={{ fontSize: 13 }} />
        {currencies.map((c, i) => (
          <Bar key={c} dataKey={c} name={c} fill={CURRENCY_COLORS[i % CURRENCY_COLORS.length]} isAnimationActive={false} />
        ))}
      </BarChart>
    </ChartFigure>
  );
}
