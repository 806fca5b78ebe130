import { useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { AdminLoadError } from '@/components/admin-states';
import { Badge } from '@/components/badge';
import { EmptyState } from '@/components/empty-state';
import { SelectField, TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { PageHeader } from '@/components/page-header';
import { ReasonDialog } from '@/components/reason-dialog';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import type { ApiError } from '@/lib/api-client';
import { toApiError } from '@/lib/api-client';
import { formatNumber, formatPercent } from '@/lib/format';
import type { RateLimitBucket, RateLimitState } from '@/types';
import { getRateLimits, resetRateLimits, type SubjectKind } from '../api/rate-limits';
import { bucketTitle, bucketUnit, isKind, KINDS, resetText, subjectError, windowText } from '../lib/subject';

const FIELDS = ['kind', 'id'] as const;

function Bucket({ bucket }: { bucket: RateLimitBucket }) {
  const percent = bucket.limit > 0 ? (bucket.used / bucket.limit) * 100 : 0;
  const shown = Math.max(0, Math.min(100, percent));
  const state = percent >= 100 ? 'danger' : percent >= 80 ? 'warning' : 'ok';
  const unit = bucketUnit(bucket);
  const title = bucketTitle(bucket);
  return (
    <li className={`quota quota--${state} rate-bucket`} data-testid="rate-bucket">
      <div className="quota__head">
        <p className="quota__used">
          <strong>{title}</strong>{' '}
          <span className="muted small">
            {formatNumber(bucket.used)} / {formatNumber(bucket.limit)} {unit} {windowText(bucket.windowSeconds)}
          </span>
        </p>
        <p className="quota__percent">{formatPercent(percent / 100)}</p>
      </div>
      <div
        className="quota__track"
        role="progressbar"
        aria-label={title}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round(shown)}
        aria-valuetext={`${formatNumber(bucket.used)} of ${formatNumber(bucket.limit)} ${unit} used`}
      >
        <span className="quota__fill" style={{ width: `${shown}%` }} />
      </div>
      <p className="quota__meta small">
        {bucket.remaining === 0 ? <strong className="quota__alert">Limited: further calls are refused. </strong> : null}
        {formatNumber(bucket.remaining)} remaining · resets {resetText(bucket.resetMs)}{' '}
        <Badge tone="neutral">{bucket.store === 'redis' ? 'Redis: all instances' : 'Memory: this instance only'}</Badge>
      </p>
    </li>
  );
}

function subjectLabel(state: RateLimitState): string {
  const kind = KINDS.find((k) => k.value === state.kind);
  return `${kind?.label ?? state.kind} ${state.id}`;
}

/** `/admin/rate-limits`: look at the limiter buckets of an address, a user or a key, and empty them. */
export function AdminRateLimitsPage() {
  useDocumentTitle('Rate limits');
  const [params, setParams] = useSearchParams();
  const initialKind = params.get('kind');
  const [kind, setKind] = useState<SubjectKind>(isKind(initialKind) ? initialKind : 'ip');
  const [id, setId] = useState(params.get('id') ?? '');
  const [result, setResult] = useState<{ state: RateLimitState; at: Date } | null>(null);
  const [loadError, setLoadError] = useState<ApiError | null>(null);
  const [resetting, setResetting] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const form = useForm(FIELDS, {
    codes: {
      API_KEY_NOT_FOUND: { field: 'id', message: 'No API key has this id.' },
    },
  });

  const lookup = form.handleSubmit(
    async () => {
      setMessage(null);
      setLoadError(null);
      const subject = id.trim();
      try {
        const state = await getRateLimits(kind, subject);
        setResult({ state, at: new Date() });
        setParams({ kind, id: subject }, { replace: true, state: { keepFocus: true } });
      } catch (err) {
        setResult(null);
        const error = toApiError(err);
        // Field problems and an unknown key show at the fields; anything else below the form.
        if (error.status === 422 || error.code === 'API_KEY_NOT_FOUND') throw error;
        setLoadError(error);
      }
    },
    () => {
      const error = subjectError(kind, id);
      return error ? { id: error } : {};
    },
  );

  const [refreshing, setRefreshing] = useState(false);
  const refresh = async (subject: RateLimitState) => {
    setRefreshing(true);
    try {
      setResult({ state: await getRateLimits(subject.kind, subject.id), at: new Date() });
      setLoadError(null);
    } catch (err) {
      setLoadError(toApiError(err));
    } finally {
      setRefreshing(false);
    }
  };

  // A linked subject (?kind=user&id=…) is looked up at once.
  const initial = useRef(params.get('id'));
  useEffect(() => {
    if (initial.current) lookup();
    // Only on arrival.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, []);

  const kindInfo = KINDS.find((k) => k.value === kind) ?? KINDS[0]!;
  const state = result?.state;
  return (
    <div className="page admin-page">
      <PageHeader
        title="Rate limits"
        description="See how much of its rate limits an IP address, a user or an API key has used, and reset them (e.g. after a false alarm or a lock-out)."
      />
      <form className="admin-filters admin-filters--limits" noValidate onSubmit={lookup} aria-label="Look up rate limits">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <SelectField
          {...form.field('kind')}
          label="Subject"
          value={kind}
          onChange={(e) => {
            if (isKind(e.target.value)) setKind(e.target.value);
          }}
        >
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>
              {k.label}
            </option>
          ))}
        </SelectField>
        <div className="admin-filters__search">
          <TextField
            {...form.field('id')}
            label={kindInfo.idLabel}
            placeholder={kindInfo.placeholder}
            autoComplete="off"
            spellCheck={false}
            className="input--mono"
            value={id}
            onChange={(e) => setId(e.target.value)}
          />
        </div>
        <div className="admin-filters__actions">
          <SubmitButton pending={form.pending} pendingLabel="Looking up…">
            Show limits
          </SubmitButton>
        </div>
      </form>

      <div role="status" aria-live="polite" className={message ? 'inline-message inline-message--ok' : 'admin-live'}>
        {message}
      </div>
      {loadError && <AdminLoadError error={loadError} title="Could not read the rate limits" onRetry={() => lookup()} />}
      {state && (
        <section className="admin-limits" aria-labelledby="limits-title" data-testid="rate-limits">
          <div className="admin-limits__head">
            <h2 id="limits-title" className="admin-detail__title">
              {subjectLabel(state)}
            </h2>
            <span className="small muted">As of {result.at.toLocaleTimeString()}</span>
            <div className="admin-actions">
              <button
                type="button"
                className="btn btn--secondary btn--sm"
                onClick={() => void refresh(state)}
                aria-disabled={refreshing || undefined}
              >
                {refreshing ? 'Refreshing…' : 'Refresh'}
              </button>
              {state.buckets.length > 0 && (
                <button
                  type="button"
                  className="btn btn--danger-outline btn--sm"
                  onClick={() => {
                    setMessage(null);
                    setResetting(true);
                  }}
                >
                  Reset limits
                </button>
              )}
            </div>
          </div>
          {state.buckets.length === 0 ? (
            <EmptyState title="No rate limits apply" />
          ) : (
            <ul className="admin-limits__list">
              {state.buckets.map((b) => (
                <Bucket key={b.name} bucket={b} />
              ))}
            </ul>
          )}
        </section>
      )}
      {!state && !loadError && !form.pending && (
        <EmptyState title="Choose a subject">
          <p>Enter an IP address, a user id or an API key id to see its buckets.</p>
        </EmptyState>
      )}
      {resetting && state && (
        <ReasonDialog
          title={`Reset the limits of ${subjectLabel(state)}?`}
          description={<p>Every bucket above starts empty again, so blocked calls and sign-ins are allowed at once.</p>}
          confirmLabel="Reset limits"
          pendingLabel="Resetting…"
          onClose={() => setResetting(false)}
          onConfirm={async (reason) => {
            await resetRateLimits(state.kind, state.id, reason);
            setResetting(false);
            setMessage(`Reset the limits of ${subjectLabel(state)}.`);
            await refresh(state);
          }}
        />
      )}
    </div>
  );
}
