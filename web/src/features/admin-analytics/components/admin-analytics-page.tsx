import { useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { AdminLoadError } from '@/components/admin-states';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { formatDateTime } from '@/lib/format';
import type { AdminAnalytics } from '@/types';
import { getAdminAnalytics } from '../api/admin-analytics';
import { hasActivity, isEmptyReport } from '../lib/analytics-data';
import {
  DEFAULT_PRESET,
  describeRange,
  formatMonth,
  isAnalyticsPreset,
  resolveSelection,
  type AnalyticsRange,
  type AnalyticsSelection,
} from '../lib/analytics-range';
import { LatencyChart, RevenueChart, SignupsChart, TrafficChart } from './analytics-charts';
import { AnalyticsKpis } from './analytics-kpis';
import { AnalyticsRangePicker } from './analytics-range-picker';
import { TopEndpointsTable, TopOrganizationsTable } from './analytics-tables';

const FRESHNESS =
  'The numbers come from rollups a background job refreshes every minute (BILLING_JOB_INTERVAL_SECONDS), so they trail activity by up to a minute.';

function useSelection() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('range');
  const selection: AnalyticsSelection = {
    preset: isAnalyticsPreset(raw) ? raw : DEFAULT_PRESET,
    fromDate: params.get('from') ?? undefined,
    toDate: params.get('to') ?? undefined,
  };
  const update = (changes: Record<string, string | undefined>) => {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev);
        for (const [k, v] of Object.entries(changes)) {
          if (v === undefined || v === '') next.delete(k);
          else next.set(k, v);
        }
        return next;
      },
      { replace: true },
    );
  };
  return { selection, update };
}

function NoDataYet() {
  return (
    <EmptyState title="No analytics yet">
      <p>
        Signups, logins, API calls and paid invoices show up here within a minute of happening: a background job refreshes
        the analytics rollups every minute (and fills in the past once, right after an upgrade). Check back shortly, or
        pick a longer range.
      </p>
    </EmptyState>
  );
}

function NoActivity() {
  return (
    <EmptyState title="No activity in this range">
      <p>
        Nobody signed up, signed in or called the API between these dates. New activity appears within a minute; try a
        longer range.
      </p>
    </EmptyState>
  );
}

function Report({ data }: { data: AdminAnalytics }) {
  const active = hasActivity(data);
  return (
    <>
      <AnalyticsKpis data={data} />
      {active ? (
        <>
          <div className="charts">
            <SignupsChart daily={data.daily} />
            <TrafficChart daily={data.daily} />
            <LatencyChart daily={data.daily} />
            {data.revenueByMonth.length > 0 && <RevenueChart revenue={data.revenueByMonth} />}
          </div>
          {data.revenueByMonth.length === 0 && (
            <p className="muted small">No paid invoices in the 12 months up to {formatMonth(data.to.slice(0, 7))}.</p>
          )}
          <TopOrganizationsTable rows={data.topOrganizations} />
          <TopEndpointsTable rows={data.topEndpoints} />
        </>
      ) : (
        <>
          <NoActivity />
          {data.revenueByMonth.length > 0 && (
            <div className="charts">
              <RevenueChart revenue={data.revenueByMonth} />
            </div>
          )}
        </>
      )}
    </>
  );
}

/** `/admin/analytics`: signups, logins, API traffic, revenue, conversion and churn across every organization. */
export function AdminAnalyticsPage() {
  useDocumentTitle('Analytics');
  const { selection, update } = useSelection();
  // "Today" is pinned so a preset keeps its dates between renders; Refresh moves it.
  const [now, setNow] = useState(() => new Date());
  const range: AnalyticsRange = useMemo(
    () => resolveSelection(selection, now),
    [selection.preset, selection.fromDate, selection.toDate, now], // eslint-disable-line react-hooks/exhaustive-deps
  );
  const report = useRequest((signal) => getAdminAnalytics(range, signal), { key: `${range.from}|${range.to}|${now.getTime()}` });

  let body;
  if (report.isLoading) {
    body = <LoadingBlock label="Loading analytics…" />;
  } else if (report.error && !report.data) {
    body = <AdminLoadError error={report.error} title="Could not load the analytics" onRetry={report.refresh} />;
  } else if (report.data && isEmptyReport(report.data)) {
    body = <NoDataYet />;
  } else if (report.data) {
    body = (
      <>
        {report.error && <AdminLoadError error={report.error} title="Could not refresh the analytics" onRetry={report.refresh} />}
        <Report data={report.data} />
      </>
    );
  }

  const forbidden = report.error?.status === 403 && !report.data;
  return (
    <div className="page admin-page">
      <PageHeader
        title="Analytics"
        description="Signups, activity, revenue and API traffic across every organization. Days are UTC."
        actions={
          <button
            type="button"
            className="btn btn--secondary"
            onClick={() => setNow(new Date())}
            aria-disabled={report.isRefreshing || report.isLoading || undefined}
          >
            {report.isRefreshing ? 'Refreshing…' : 'Refresh'}
          </button>
        }
      />
      {!forbidden && (
        <>
          <div className="usage-toolbar" role="group" aria-label="Analytics range">
            <AnalyticsRangePicker
              selection={selection}
              current={range}
              onPreset={(preset) => {
                setNow(new Date());
                update({ range: preset, from: undefined, to: undefined });
              }}
              onCustom={(r) => update({ range: 'custom', from: r.from, to: r.to })}
            />
          </div>
          <p className="muted small usage-range-label" aria-live="polite" data-testid="analytics-range">
            {describeRange(range)}
            {report.lastUpdated ? ` · updated ${formatDateTime(report.lastUpdated.toISOString())}` : ''}
          </p>
          <p className="muted small">{FRESHNESS}</p>
        </>
      )}
      <div aria-busy={report.isRefreshing || undefined} className={report.isRefreshing ? 'admin-refreshing' : undefined}>
        {body}
      </div>
    </div>
  );
}
