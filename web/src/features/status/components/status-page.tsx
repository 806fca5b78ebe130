import { Badge, type Tone } from '@/components/badge';
import { ErrorState } from '@/components/error-state';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock, Spinner } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import type { Readiness } from '../api/get-readiness';
import { READINESS_REFRESH_MS, useReadiness } from '../hooks/use-readiness';

type Checks = Readiness['checks'];

interface CheckView {
  id: keyof Checks;
  label: string;
  description: string;
  state: string;
  tone: Tone;
  detail?: string;
}

const STATE_LABEL: Record<string, { label: string; tone: Tone }> = {
  up: { label: 'Up', tone: 'success' },
  down: { label: 'Down', tone: 'danger' },
  current: { label: 'Current', tone: 'success' },
  pending: { label: 'Pending', tone: 'warning' },
  unknown: { label: 'Unknown', tone: 'neutral' },
  disabled: { label: 'Disabled', tone: 'neutral' },
};

function describe(status: string) {
  return STATE_LABEL[status] ?? { label: status, tone: 'neutral' as Tone };
}

function formatLatency(ms: number | undefined): string | undefined {
  if (ms === undefined) return undefined;
  return ms < 10 ? `${ms.toFixed(1)} ms` : `${Math.round(ms)} ms`;
}

function toCheckViews(checks: Checks): CheckView[] {
  const db = describe(checks.database.status);
  const mig = describe(checks.migrations.status);
  const redis = describe(checks.redis.status);
  const { applied, expected } = checks.migrations;
  const latency = formatLatency(checks.database.latencyMs);
  return [
    {
      id: 'database',
      label: 'Database',
      description: 'PostgreSQL connection',
      state: db.label,
      tone: db.tone,
      ...(latency ? { detail: `Latency ${latency}` } : {}),
    },
    {
      id: 'migrations',
      label: 'Migrations',
      description: 'Schema version',
      state: mig.label,
      tone: mig.tone,
      ...(applied !== undefined && expected !== undefined ? { detail: `${applied} of ${expected} applied` } : {}),
    },
    {
      id: 'redis',
      label: 'Redis',
      description: 'Optional cache; never required for readiness',
      state: redis.label,
      tone: redis.tone,
    },
  ];
}

function CheckIcon({ tone }: { tone: Tone }) {
  return <span className={`check__icon check__icon--${tone}`} aria-hidden="true" />;
}

function StatusSummary({ data }: { data: Readiness }) {
  const ready = data.status === 'ready';
  return (
    <div className={`summary ${ready ? 'summary--ok' : 'summary--bad'}`} data-testid="readiness-summary">
      <span className="summary__pulse" aria-hidden="true" />
      <div>
        <p className="summary__title">{ready ? 'Ready' : 'Not ready'}</p>
        <p className="summary__text">
          {ready
            ? 'The server is accepting traffic. All required checks pass.'
            : 'The server is not accepting traffic until the failing checks below recover.'}
        </p>
      </div>
    </div>
  );
}

export function StatusPage() {
  useDocumentTitle('Status');
  const { data, error, isLoading, isRefreshing, lastUpdated, refresh } = useReadiness();

  return (
    <div className="page">
      <PageHeader
        title="System status"
        description={
          <>
            Live readiness of this server from <code>GET /readyz</code>, refreshed every {READINESS_REFRESH_MS / 1000}{' '}
            seconds.
          </>
        }
        actions={
          <>
            {lastUpdated && (
              <span className="muted small" aria-live="off">
                Updated <time dateTime={lastUpdated.toISOString()}>{lastUpdated.toLocaleTimeString()}</time>
              </span>
            )}
            <button type="button" className="btn btn--secondary btn--sm" onClick={refresh} disabled={isRefreshing || isLoading}>
              {isRefreshing ? <Spinner label="Refreshing" /> : null}
              Refresh
            </button>
          </>
        }
      />

      {isLoading && <LoadingBlock label="Checking readiness…" />}

      {!data && error && <ErrorState error={error} title="Couldn't load status" onRetry={refresh} />}

      {data && (
        <div aria-live="polite">
          {error && (
            <p className="notice notice--warning" role="status">
              Couldn't refresh ({error.title}). Showing the last result.
            </p>
          )}
          <StatusSummary data={data} />
          <ul className="checks" aria-label="Readiness checks">
            {toCheckViews(data.checks).map((check) => (
              <li key={check.id} className="check card" data-testid={`check-${check.id}`}>
                <CheckIcon tone={check.tone} />
                <div className="check__main">
                  <h2 className="check__label">{check.label}</h2>{' '}
                  <p className="check__desc">{check.description}</p>
                </div>{' '}
                <div className="check__side">
                  <Badge tone={check.tone} dot>
                    <span className="sr-only">{check.label} is </span>
                    {check.state}
                  </Badge>{' '}
                  {check.detail && <span className="check__detail">{check.detail}</span>}
                </div>
              </li>
            ))}
          </ul>
        </div>
      )}
    </div>
  );
}
