import type { ReactNode } from 'react';
import { Area, AreaChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCompact, formatMs, formatNumber } from '@/lib/format';
import type { UsageTimeseries } from '@/types';
import { useElementWidth } from '../hooks/use-element-width';
import { bucketLabel, tickLabel } from '../lib/chart-format';

const HEIGHT = 240;
const MARGIN = { top: 8, right: 12, bottom: 0, left: 0 };

function spanHours(series: UsageTimeseries): number {
  const first = series.points[0];
  const last = series.points[series.points.length - 1];
  if (!first || !last) return 0;
  return (Date.parse(last.t) - Date.parse(first.t)) / 3_600_000;
}

function ChartFrame({
  title,
  summary,
  children,
  testId,
}: {
  title: string;
  summary: string;
  children: (width: number) => ReactNode;
  testId: string;
}) {
  const { ref, width } = useElementWidth<HTMLDivElement>();
  return (
    <figure className="chart card" data-testid={testId}>
      <figcaption className="chart__title">{title}</figcaption>
      <p className="sr-only">{summary}</p>
      <div ref={ref} className="chart__canvas" aria-hidden="true" style={{ height: HEIGHT }}>
        {width > 0 ? children(width) : null}
      </div>
    </figure>
  );
}

export function RequestsChart({ series }: { series: UsageTimeseries }) {
  const span = spanHours(series);
  const total = series.points.reduce((n, p) => n + p.requests, 0);
  const errors = series.points.reduce((n, p) => n + p.errors, 0);
  const peak = series.points.reduce((best, p) => (p.requests > (best?.requests ?? -1) ? p : best), series.points[0]);
  const summary =
    `${formatNumber(total)} requests and ${formatNumber(errors)} errors over ${series.points.length} ${series.granularity === 'hour' ? 'hours' : 'days'}.` +
    (peak && peak.requests > 0 ? ` Busiest: ${bucketLabel(peak.t, series.granularity)} with ${formatNumber(peak.requests)} requests.` : '');

  return (
    <ChartFrame title="Requests and errors" summary={summary} testId="requests-chart">
      {(width) => (
        <AreaChart width={width} height={HEIGHT} data={series.points} margin={MARGIN}>
          <defs>
            <linearGradient id="fill-requests" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor="var(--accent)" stopOpacity={0.35} />
              <stop offset="100%" stopColor="var(--accent)" stopOpacity={0.02} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="t"
            tickFormatter={(t: string) => tickLabel(t, series.granularity, span)}
            tick={{ fontSize: 12, fill: 'var(--muted)' }}
            stroke="var(--border-strong)"
            minTickGap={24}
          />
          <YAxis
            allowDecimals={false}
            tickFormatter={(v: number) => formatCompact(v)}
            tick={{ fontSize: 12, fill: 'var(--muted)' }}
            stroke="var(--border-strong)"
            width={44}
          />
          <Tooltip
            labelFormatter={(t) => bucketLabel(String(t), series.granularity)}
            formatter={(v, name) => [formatNumber(Number(v)), name]}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, fontSize: 13 }}
          />
          <Legend wrapperStyle={{ fontSize: 13 }} />
          <Area
            type="monotone"
            dataKey="requests"
            name="Requests"
            stroke="var(--accent)"
            strokeWidth={2}
            fill="url(#fill-requests)"
            isAnimationActive={false}
          />
          <Area
            type="monotone"
            dataKey="errors"
            name="Errors"
            stroke="var(--danger)"
            strokeWidth={2}
            fill="var(--danger)"
            fillOpacity={0.12}
            isAnimationActive={false}
          />
        </AreaChart>
      )}
    </ChartFrame>
  );
}

export function LatencyChart({ series }: { series: UsageTimeseries }) {
  const span = spanHours(series);
  const p95s = series.points.map((p) => p.latencyP95Ms).filter((v): v is number => typeof v === 'number');
  const worst = p95s.length ? Math.max(...p95s) : null;
  const summary = worst === null ? 'No latency measured in this range.' : `Highest p95 latency in a bucket: ${formatMs(worst)}.`;

  return (
    <ChartFrame title="Latency (p50 and p95)" summary={summary} testId="latency-chart">
      {(width) => (
        <LineChart width={width} height={HEIGHT} data={series.points} margin={MARGIN}>
          <CartesianGrid stroke="var(--border)" strokeDasharray="3 3" vertical={false} />
          <XAxis
            dataKey="t"
            tickFormatter={(t: string) => tickLabel(t, series.granularity, span)}
            tick={{ fontSize: 12, fill: 'var(--muted)' }}
            stroke="var(--border-strong)"
            minTickGap={24}
          />
          <YAxis
            tickFormatter={(v: number) => `${formatCompact(v)}`}
            tick={{ fontSize: 12, fill: 'var(--muted)' }}
            stroke="var(--border-strong)"
            width={64}
            unit=" ms"
          />
          <Tooltip
            labelFormatter={(t) => bucketLabel(String(t), series.granularity)}
            formatter={(v, name) => [formatMs(v === null || v === undefined ? null : Number(v)), name]}
            contentStyle={{ background: 'var(--surface)', border: '1px solid var(--border)', borderRadius: 8, fontSize: 13 }}
          />
          <Legend wrapperStyle={{ fontSize: 13 }} />
          <Line type="monotone" dataKey="latencyP50Ms" name="p50" stroke="var(--info)" strokeWidth={2} dot={false} isAnimationActive={false} />
          <Line type="monotone" dataKey="latencyP95Ms" name="p95" stroke="var(--warning)" strokeWidth={2} dot={false} isAnimationActive={false} />
        </LineChart>
      )}
    </ChartFrame>
  );
}
