import { useMemo, useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { PageHeader } from '@/components/page-header';
import { QuotaBar } from '@/components/quota-bar';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { toApiError, type ApiError } from '@/lib/api-client';
import { downloadFile } from '@/lib/download';
import { errorMessage } from '@/lib/errors';
import { formatMs, formatNumber, formatPercent } from '@/lib/format';
import type { ApiKey, Quota, UsageSummary } from '@/types';
import { exportUsageCsv, getQuota, getUsageOverview, listKeys, type EventFilter, type UsageRange } from '../api/usage';
import {
  describeRange,
  isPreset,
  MAX_EXPORT_DAYS,
  PRESETS,
  resolveRange,
  toDateInput,
  type RangePreset,
  type RangeSelection,
  type ResolvedRange,
} from '../lib/range';
import { EndpointTable } from './endpoint-table';
import { EventsSection, type StatusClass } from './events-section';
import { LatencyChart, RequestsChart } from './usage-charts';

const DEFAULT_PRESET: RangePreset = '30d';
const VERIFY_DOCS = '/docs/api#verifyKey';
const STATUS_CLASSES: readonly string[] = ['2xx', '3xx', '4xx', '5xx'];

function useSelection() {
  const [params, setParams] = useSearchParams();
  const raw = params.get('range');
  const selection: RangeSelection = {
    preset: isPreset(raw) ? raw : DEFAULT_PRESET,
    fromDate: params.get('from') ?? undefined,
    toDate: params.get('to') ?? undefined,
  };
  const keyId = params.get('key') ?? undefined;
  const status = params.get('status');
  const statusClass = status && STATUS_CLASSES.includes(status) ? (status as StatusClass) : undefined;
  const endpoint = params.get('endpoint') ?? undefined;

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
  return { selection, keyId, statusClass, endpoint, update };
}

function CustomRange({ fromDate, toDate, onApply }: { fromDate: string; toDate: string; onApply: (from: string, to: string) => void }) {
  const today = toDateInput(new Date());
  const [custom, setCustom] = useState({ from: fromDate, to: toDate });
  const [error, setError] = useState<string | null>(null);

  const apply = (e: FormEvent) => {
    e.preventDefault();
    const resolved = resolveRange({ preset: 'custom', fromDate: custom.from, toDate: custom.to }, new Date());
    if ('error' in resolved) {
      setError(resolved.error);
      return;
    }
    setError(null);
    onApply(custom.from, custom.to);
  };

  const invalid = error ? { 'aria-invalid': true, 'aria-describedby': 'range-error' } : {};
  return (
    <form className="range__custom" onSubmit={apply} noValidate aria-label="Custom range">
      <label className="range__date">
        <span className="small muted">From</span>
        <input
          type="date"
          className="input"
          value={custom.from}
          max={today}
          {...invalid}
          onChange={(e) => setCustom((c) => ({ ...c, from: e.target.value }))}
        />
      </label>
      <label className="range__date">
        <span className="small muted">To (inclusive)</span>
        <input
          type="date"
          className="input"
          value={custom.to}
          max={today}
          {...invalid}
          onChange={(e) => setCustom((c) => ({ ...c, to: e.target.value }))}
        />
      </label>
      <button type="submit" className="btn btn--secondary">
        Apply
      </button>
      {error && (
        <p id="range-error" className="field__error range__error" role="alert">
          {error}
        </p>
      )}
    </form>
  );
}

function RangePicker({
  selection,
  current,
  onPreset,
  onCustom,
}: {
  selection: RangeSelection;
  /** The range on screen, to prefill the custom dates. */
  current: ResolvedRange | null;
  onPreset: (preset: Exclude<RangePreset, 'custom'>) => void;
  onCustom: (from: string, to: string) => void;
}) {
  const choose = (preset: RangePreset) => {
    if (preset !== 'custom') return onPreset(preset);
    const from = current ? toDateInput(current.from) : toDateInput(new Date(Date.now() - 6 * 86_400_000));
    const to = toDateInput(current ? new Date(current.to.getTime() - 1) : new Date());
    onCustom(from, to);
  };

  return (
    <div className="range">
      <fieldset className="segmented">
        <legend className="sr-only">Time range</legend>
        {PRESETS.map((p) => (
          <label key={p.value} className={`segmented__option${selection.preset === p.value ? ' is-selected' : ''}`}>
            <input
              type="radio"
              name="usage-range"
              className="sr-only"
              value={p.value}
              checked={selection.preset === p.value}
              onChange={() => choose(p.value)}
            />
            <span aria-hidden="true">{p.label}</span>
            <span className="sr-only">{p.long}</span>
          </label>
        ))}
      </fieldset>
      {selection.preset === 'custom' && selection.fromDate && selection.toDate && (
        <CustomRange
          key={`${selection.fromDate}|${selection.toDate}`}
          fromDate={selection.fromDate}
          toDate={selection.toDate}
          onApply={onCustom}
        />
      )}
    </div>
  );
}

function KeyFilter({ keys, value, onChange }: { keys: ApiKey[] | undefined; value: string | undefined; onChange: (id: string | undefined) => void }) {
  return (
    <label className="key-filter">
      <span className="small muted">Key</span>
      <select className="input input--select" value={value ?? ''} onChange={(e) => onChange(e.target.value || undefined)}>
        <option value="">All keys</option>
        {(keys ?? []).map((k) => (
          <option key={k.id} value={k.id}>
            {k.name} ({k.prefix}…){k.status === 'revoked' ? ' · revoked' : ''}
          </option>
        ))}
        {value && keys && !keys.some((k) => k.id === value) && <option value={value}>Unknown key</option>}
      </select>
    </label>
  );
}

function QuotaCard({ quota, error, onRetry }: { quota: Quota | undefined; error: ApiError | undefined; onRetry: () => void }) {
  return (
    <section className="card usage-quota" aria-labelledby="quota-title">
      <div className="usage-quota__head">
        <h2 id="quota-title" className="usage-block__title">
          Quota this period
        </h2>
        {quota && <span className="badge badge--info">{quota.plan.name} plan</span>}
      </div>
      {quota ? (
        <QuotaBar quota={quota} />
      ) : error ? (
        <ErrorState error={error} title="Could not load the quota" onRetry={onRetry} />
      ) : (
        <LoadingBlock label="Loading quota…" />
      )}
    </section>
  );
}

function Stat({ label, value, detail, testId }: { label: string; value: string; detail?: string; testId: string }) {
  return (
    <li className="stat card" data-testid={testId}>
      <p className="stat__label">{label}</p>
      <p className="stat__value">{value}</p>
      {detail && <p className="stat__detail">{detail}</p>}
    </li>
  );
}

function SummaryStats({ summary }: { summary: UsageSummary }) {
  return (
    <ul className="stats" aria-label="Totals for this range">
      <Stat testId="stat-requests" label="Requests" value={formatNumber(summary.requests)} detail={`${formatNumber(summary.costUnits)} units`} />
      <Stat
        testId="stat-errors"
        label="Errors"
        value={formatNumber(summary.errors)}
        detail={`${formatPercent(summary.errorRate)} error rate · ${formatNumber(summary.serverErrors)} server`}
      />
      <Stat testId="stat-rejected" label="Refused by Tollgate" value={formatNumber(summary.rejected)} detail="Revoked, rate-limited, over quota…" />
      <Stat testId="stat-latency" label="Latency p50 / p95" value={`${formatMs(summary.latencyP50Ms)} / ${formatMs(summary.latencyP95Ms)}`} />
    </ul>
  );
}

function UsageEmpty({ hasKeys, filtered }: { hasKeys: boolean; filtered: boolean }) {
  if (!hasKeys) {
    return (
      <EmptyState title="No usage yet">
        <div className="keys-empty">
          <p>
            Usage shows up here seconds after your service checks a key with <code>POST /v1/keys/verify</code>. Start by
            creating an API key, then call the verify API from your backend for each request.
          </p>
          <div className="keys-empty__actions">
            <Link to="/keys" className="btn btn--primary">
              Create an API key
            </Link>
            <Link to={VERIFY_DOCS} className="btn btn--secondary">
              Read the verify API docs
            </Link>
          </div>
        </div>
      </EmptyState>
    );
  }
  return (
    <EmptyState title={filtered ? 'No usage for this key in this range' : 'No usage in this range'}>
      <p>
        Nothing was recorded between these dates. Usage appears within seconds of a <code>POST /v1/keys/verify</code>{' '}
        call with one of your keys; try a longer range{filtered ? ' or all keys' : ''}.
      </p>
    </EmptyState>
  );
}

function ExportButton({ range, resolved }: { range: UsageRange | null; resolved: ResolvedRange | null }) {
  const [state, setState] = useState<{ kind: 'idle' } | { kind: 'pending' } | { kind: 'error'; text: string }>({ kind: 'idle' });
  const tooLong = resolved ? !resolved.exportable : false;

  const run = async () => {
    if (!range || tooLong || state.kind === 'pending') return;
    setState({ kind: 'pending' });
    try {
      const { csv, filename } = await exportUsageCsv(range);
      const name = filename ?? `tollgate-usage-${range.from.slice(0, 10)}-to-${range.to.slice(0, 10)}.csv`;
      downloadFile(csv, name, 'text/csv;charset=utf-8');
      setState({ kind: 'idle' });
    } catch (err) {
      setState({ kind: 'error', text: `Export failed: ${errorMessage(toApiError(err))}` });
    }
  };

  return (
    <div className="export">
      <button
        type="button"
        className="btn btn--secondary"
        onClick={() => void run()}
        aria-disabled={tooLong || state.kind === 'pending' || undefined}
        aria-describedby={tooLong ? 'export-hint' : undefined}
      >
        {state.kind === 'pending' ? 'Exporting…' : 'Export CSV'}
      </button>
      {tooLong && (
        <p id="export-hint" className="small muted">
          Export covers at most {MAX_EXPORT_DAYS} days; pick a shorter range.
        </p>
      )}
      <p className="field__error" role="alert">
        {state.kind === 'error' ? state.text : ''}
      </p>
    </div>
  );
}

export function UsagePage() {
  useDocumentTitle('Usage');
  const { selection, keyId, statusClass, endpoint, update } = useSelection();
  // "Now" is pinned so relative ranges stay stable between renders; Refresh moves it.
  const [now, setNow] = useState(() => new Date());

  const resolved = useMemo(() => {
    const r = resolveRange(selection, now);
    return 'error' in r ? resolveRange({ preset: DEFAULT_PRESET }, now) : r;
  }, [selection.preset, selection.fromDate, selection.toDate, now]); // eslint-disable-line react-hooks/exhaustive-deps
  const safe = 'error' in resolved ? null : resolved;
  const range: UsageRange | null = safe ? { from: safe.from.toISOString(), to: safe.to.toISOString(), keyId } : null;
  const rangeKey = range ? `${range.from}|${range.to}|${keyId ?? ''}|${safe?.granularity ?? ''}|${now.getTime()}` : '';

  const overview = useRequest(
    (signal) => (range ? getUsageOverview(range, safe?.granularity, signal) : Promise.reject(new Error('No range'))),
    { key: rangeKey },
  );
  const quota = useRequest(getQuota);
  const keys = useRequest(listKeys);
  const keyMap = useMemo(() => new Map((keys.data ?? []).map((k) => [k.id, k])), [keys.data]);

  const eventFilter: EventFilter | null = range ? { ...range, statusClass, endpoint } : null;

  const refresh = () => {
    setNow(new Date());
    quota.refresh();
    keys.refresh();
  };

  const data = overview.data;
  const empty = data ? data.summary.requests === 0 : false;

  let body;
  if (overview.isLoading) {
    body = <LoadingBlock label="Loading usage…" />;
  } else if (overview.error && !data) {
    body = <ErrorState error={overview.error} title="Could not load usage" onRetry={overview.refresh} />;
  } else if (data && empty) {
    body = <UsageEmpty hasKeys={(keys.data?.length ?? 1) > 0} filtered={!!keyId} />;
  } else if (data) {
    body = (
      <>
        <SummaryStats summary={data.summary} />
        <div className="charts">
          <RequestsChart series={data.timeseries} />
          <LatencyChart series={data.timeseries} />
        </div>
        <EndpointTable rows={data.byEndpoint} onShowEvents={(e) => update({ endpoint: e })} />
        {eventFilter && (
          <EventsSection
            filter={eventFilter}
            keys={keyMap}
            reloadToken={now.getTime()}
            onStatusClass={(s) => update({ status: s })}
            onClearEndpoint={() => update({ endpoint: undefined })}
          />
        )}
      </>
    );
  }

  return (
    <div className="page usage-page">
      <PageHeader
        title="Usage"
        description="Calls your services checked with the verify API: volume, errors, latency and quota."
        actions={
          <>
            <button type="button" className="btn btn--secondary" onClick={refresh} aria-disabled={overview.isRefreshing || undefined}>
              {overview.isRefreshing ? 'Refreshing…' : 'Refresh'}
            </button>
            <ExportButton range={range} resolved={safe} />
          </>
        }
      />

      <div className="usage-toolbar" role="group" aria-label="Usage filters">
        <RangePicker
          selection={selection}
          current={safe}
          onPreset={(preset) => {
            setNow(new Date());
            update({ range: preset, from: undefined, to: undefined });
          }}
          onCustom={(from, to) => update({ range: 'custom', from, to })}
        />
        <KeyFilter keys={keys.data} value={keyId} onChange={(id) => update({ key: id })} />
      </div>
      <p className="muted small usage-range-label" aria-live="polite">
        {describeRange(selection)}
        {keyId ? ` · ${keyMap.get(keyId)?.name ?? 'one key'}` : ' · all keys'}
      </p>

      <QuotaCard quota={quota.data} error={quota.error} onRetry={quota.refresh} />

      {body}
    </div>
  );
}
