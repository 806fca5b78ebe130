import { useState, type ChangeEvent } from 'react';
import { useSearchParams } from 'react-router-dom';
import { AdminLoadError } from '@/components/admin-states';
import { EmptyState } from '@/components/empty-state';
import { TextField } from '@/components/form/fields';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { toApiError } from '@/lib/api-client';
import { downloadFile } from '@/lib/download';
import { errorMessage } from '@/lib/errors';
import { formatNumber } from '@/lib/format';
import { exportAuditCsv } from '../api/admin-audit';
import { useAuditLog } from '../hooks/use-audit-log';
import { filterErrors, filterFromParams, isFiltered, NO_FILTER, type AuditFilter, type AuditFilterField } from '../lib/audit-filter';
import { AuditTable } from './audit-table';

const FIELDS = ['actorId', 'organizationId', 'action', 'from', 'to'] as const satisfies readonly AuditFilterField[];

function FilterForm({ applied, onApply }: { applied: AuditFilter; onApply: (f: AuditFilter) => void }) {
  const [values, setValues] = useState<AuditFilter>(applied);
  const form = useForm(FIELDS);
  const set = (key: AuditFilterField) => (e: ChangeEvent<HTMLInputElement>) => setValues((v) => ({ ...v, [key]: e.target.value }));
  const trimmed = (): AuditFilter => ({
    actorId: values.actorId.trim(),
    organizationId: values.organizationId.trim(),
    action: values.action.trim(),
    from: values.from,
    to: values.to,
  });
  const onSubmit = form.handleSubmit(
    async () => onApply(trimmed()),
    () => filterErrors(trimmed()),
  );
  return (
    <form className="admin-filters admin-filters--audit" noValidate onSubmit={onSubmit} aria-label="Filter the audit log">
      <TextField
        {...form.field('actorId')}
        label="Actor id"
        placeholder="User id (UUID)"
        autoComplete="off"
        spellCheck={false}
        className="input--mono"
        value={values.actorId}
        onChange={set('actorId')}
      />
      <TextField
        {...form.field('organizationId')}
        label="Organization id"
        placeholder="UUID"
        autoComplete="off"
        spellCheck={false}
        className="input--mono"
        value={values.organizationId}
        onChange={set('organizationId')}
      />
      <TextField
        {...form.field('action')}
        label="Action"
        placeholder="admin.user."
        autoComplete="off"
        spellCheck={false}
        className="input--mono"
        hint="Exact, or a prefix ending in a dot."
        value={values.action}
        onChange={set('action')}
      />
      <TextField {...form.field('from')} type="date" label="From" value={values.from} onChange={set('from')} />
      <TextField {...form.field('to')} type="date" label="To (inclusive)" value={values.to} onChange={set('to')} />
      <div className="admin-filters__actions">
        <button type="submit" className="btn btn--primary">
          Apply filters
        </button>
        {(isFiltered(applied) || isFiltered(values)) && (
          <button
            type="button"
            className="btn btn--secondary"
            onClick={() => {
              form.reset();
              setValues(NO_FILTER);
              onApply(NO_FILTER);
            }}
          >
            Clear
          </button>
        )}
      </div>
    </form>
  );
}

function ExportButton({ filter }: { filter: AuditFilter }) {
  const [state, setState] = useState<{ kind: 'idle' | 'pending' | 'done' } | { kind: 'error'; text: string }>({ kind: 'idle' });
  const run = async () => {
    if (state.kind === 'pending') return;
    setState({ kind: 'pending' });
    try {
      const { blob, filename } = await exportAuditCsv(filter);
      downloadFile(blob, filename ?? 'tollgate-audit-log.csv', 'text/csv;charset=utf-8');
      setState({ kind: 'done' });
    } catch (err) {
      setState({ kind: 'error', text: `Export failed: ${errorMessage(toApiError(err))}` });
    }
  };
  return (
    <div className="export">
      <button type="button" className="btn btn--secondary" onClick={() => void run()} aria-disabled={state.kind === 'pending' || undefined}>
        {state.kind === 'pending' ? 'Exporting…' : 'Export CSV'}
      </button>
      <p className="small muted" role="status">
        {state.kind === 'done' ? 'Downloaded (up to 10,000 rows, with these filters).' : ''}
      </p>
      <p className="field__error" role="alert">
        {state.kind === 'error' ? state.text : ''}
      </p>
    </div>
  );
}

/** `/admin/audit`: who did what, newest first, with filters, "Load more" and a CSV export of the same filters. */
export function AdminAuditPage() {
  useDocumentTitle('Audit log');
  const [params, setParams] = useSearchParams();
  const filter = filterFromParams(params);
  const log = useAuditLog(filter);

  const apply = (next: AuditFilter) => {
    const query = new URLSearchParams();
    for (const [k, v] of Object.entries(next)) if (v) query.set(k, v);
    setParams(query, { replace: true, state: { keepFocus: true } });
  };

  let body;
  if (log.isLoading) {
    body = <LoadingBlock label="Loading the audit log…" />;
  } else if (log.error && !log.loaded) {
    body = <AdminLoadError error={log.error} title="Could not load the audit log" onRetry={log.refresh} />;
  } else if (log.items.length === 0) {
    body = (
      <EmptyState title={isFiltered(filter) ? 'No entries match these filters' : 'Nothing recorded yet'}>
        {isFiltered(filter) ? <p>Try a longer period, or an action prefix such as admin. instead of an exact action.</p> : null}
      </EmptyState>
    );
  } else {
    body = (
      <>
        {log.error && <AdminLoadError error={log.error} title="Could not refresh the audit log" onRetry={log.refresh} />}
        <AuditTable entries={log.items} />
        <div className="admin-more">
          {log.hasMore ? (
            <button type="button" className="btn btn--secondary" onClick={() => void log.loadMore()} aria-disabled={log.loadingMore || undefined}>
              {log.loadingMore ? 'Loading…' : 'Load more'}
            </button>
          ) : (
            <p className="small muted">That is everything{isFiltered(filter) ? ' for these filters' : ''}.</p>
          )}
          {log.moreError && (
            <p className="field__error" role="alert">
              Could not load more: {errorMessage(log.moreError)}
            </p>
          )}
        </div>
      </>
    );
  }

  const forbidden = log.error?.status === 403;
  return (
    <div className="page admin-page">
      <PageHeader
        title="Audit log"
        description="Sign-ins, account and key changes, billing events and every administrator action, with who did it and why."
        actions={forbidden ? undefined : <ExportButton filter={filter} />}
      />
      {!forbidden && <FilterForm applied={filter} onApply={apply} />}
      <p role="status" aria-live="polite" className="small muted admin-count">
        {log.loaded && !log.isRefreshing
          ? `Showing ${formatNumber(log.items.length)} entr${log.items.length === 1 ? 'y' : 'ies'}${log.hasMore ? ', newest first; more are older' : ''}.`
          : log.isRefreshing
            ? 'Updating…'
            : ''}
      </p>
      <div aria-busy={log.isRefreshing || undefined} className={log.isRefreshing ? 'admin-refreshing' : undefined}>
        {body}
      </div>
    </div>
  );
}
