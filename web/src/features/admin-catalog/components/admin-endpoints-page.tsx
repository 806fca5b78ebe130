import { useRef, useState } from 'react';
import { AdminLoadError } from '@/components/admin-states';
import { Badge } from '@/components/badge';
import { Dialog } from '@/components/dialog';
import { EmptyState } from '@/components/empty-state';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { useRequest } from '@/hooks/use-request';
import { toApiError } from '@/lib/api-client';
import { formatNumber } from '@/lib/format';
import type { ApiEndpoint } from '@/types';
import { deleteEndpoint, listEndpoints } from '../api/admin-endpoints';
import { EndpointFormDialog } from './endpoint-form-dialog';

type Open = { kind: 'create' } | { kind: 'edit'; endpoint: ApiEndpoint } | { kind: 'delete'; endpoint: ApiEndpoint } | null;

function label(e: ApiEndpoint): string {
  return `${e.method === '*' ? 'Any method' : e.method} ${e.pathPattern}`;
}

function Method({ method }: { method: ApiEndpoint['method'] }) {
  return <span className={`method method--${method === '*' ? 'any' : method.toLowerCase()}`}>{method === '*' ? 'ANY' : method}</span>;
}

function DeleteDialog({ endpoint, onDeleted, onClose }: { endpoint: ApiEndpoint; onDeleted: () => void; onClose: () => void }) {
  const form = useForm([] as const);
  const onSubmit = form.handleSubmit(async () => {
    try {
      await deleteEndpoint(endpoint.id);
    } catch (err) {
      // Already gone (another admin, another tab): what was asked for is done.
      if (toApiError(err).code !== 'ENDPOINT_NOT_FOUND') throw err;
    }
    onDeleted();
  });
  const title = `Delete ${label(endpoint)}?`;
  return (
    <Dialog
      title={title}
      tone="danger"
      onClose={onClose}
      description={
        <p>
          Calls to <code>/gw{endpoint.pathPattern}</code> stop being forwarded to <code>{endpoint.upstreamUrl}</code> within
          seconds. Its usage history stays. To pause it instead, edit it and turn off Enabled.
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label={title}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Deleting…" variant="danger">
            Delete endpoint
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Keep it
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EndpointRow({ endpoint, onEdit, onDelete }: { endpoint: ApiEndpoint; onEdit: () => void; onDelete: () => void }) {
  const e = endpoint;
  return (
    <tr data-testid="admin-endpoint" className={e.enabled ? undefined : 'is-disabled'}>
      <th scope="row">
        <span className="admin-endpoint__route">
          <Method method={e.method} /> <code>{e.pathPattern}</code>
        </span>
        {e.description && <span className="admin-table__sub small muted">{e.description}</span>}
      </th>
      <Cell label="Upstream">
        <code className="small admin-endpoint__upstream">{e.upstreamUrl}</code>
      </Cell>
      <Cell label="Cost" num>
        {formatNumber(e.cost)}
      </Cell>
      <Cell label="Rate limit" num>
        {e.rateLimitPerMinute === null ? <span className="muted">None</span> : `${formatNumber(e.rateLimitPerMinute)}/min`}
      </Cell>
      <Cell label="Timeout" num>
        {e.timeoutMs >= 1000 && e.timeoutMs % 1000 === 0 ? `${formatNumber(e.timeoutMs / 1000)} s` : `${formatNumber(e.timeoutMs)} ms`}
      </Cell>
      <Cell label="Access">
        <span className="badge-row">
          {e.enabled ? <Badge tone="success" dot>Enabled</Badge> : <Badge tone="neutral" dot>Disabled</Badge>}
          {e.isPublic && <Badge tone="warning">Public</Badge>}
        </span>
      </Cell>
      <Cell label="Actions" className="admin-row-actions">
        <button type="button" className="btn btn--secondary btn--sm" onClick={onEdit} aria-label={`Edit ${label(e)}`}>
          Edit
        </button>
        <button type="button" className="btn btn--danger-outline btn--sm" onClick={onDelete} aria-label={`Delete ${label(e)}`}>
          Delete
        </button>
      </Cell>
    </tr>
  );
}

/** `/admin/endpoints`: the API catalog the gateway serves under /gw. */
export function AdminEndpointsPage() {
  useDocumentTitle('API catalog');
  const endpoints = useRequest(listEndpoints);
  const [open, setOpen] = useState<Open>(null);
  const [message, setMessage] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const openDialog = (next: Open) => {
    setMessage(null);
    setOpen(next);
  };
  const done = (text: string) => {
    setOpen(null);
    setMessage(text);
    window.setTimeout(() => headingRef.current?.focus(), 0);
    endpoints.refresh();
  };

  let body;
  if (endpoints.isLoading) {
    body = <LoadingBlock label="Loading the catalog…" />;
  } else if (endpoints.error && !endpoints.data) {
    body = <AdminLoadError error={endpoints.error} title="Could not load the API catalog" onRetry={endpoints.refresh} />;
  } else if (!endpoints.data || endpoints.data.length === 0) {
    body = (
      <EmptyState title="No endpoints yet">
        <p>Add one to put an upstream API behind Tollgate: calls to /gw/… are then checked against a key, metered and forwarded.</p>
        <button type="button" className="btn btn--primary" onClick={() => openDialog({ kind: 'create' })}>
          Add the first endpoint
        </button>
      </EmptyState>
    );
  } else {
    body = (
      <div className="table-wrap">
        <table className="table table--stack admin-table" data-testid="admin-endpoints">
          <caption className="sr-only">Endpoints by path pattern</caption>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Upstream</th>
              <th scope="col" className="num">
                Cost
              </th>
              <th scope="col" className="num">
                Rate limit
              </th>
              <th scope="col" className="num">
                Timeout
              </th>
              <th scope="col">Access</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {endpoints.data.map((e) => (
              <EndpointRow
                key={e.id}
                endpoint={e}
                onEdit={() => openDialog({ kind: 'edit', endpoint: e })}
                onDelete={() => openDialog({ kind: 'delete', endpoint: e })}
              />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  const forbidden = endpoints.error?.status === 403;
  return (
    <div className="page admin-page">
      <PageHeader
        title="API catalog"
        description="The endpoints the gateway serves under /gw: where each one forwards, what a call costs and how fast it may be called."
        actions={
          forbidden ? undefined : (
            <button type="button" className="btn btn--primary" onClick={() => openDialog({ kind: 'create' })}>
              Add endpoint
            </button>
          )
        }
      />
      <section aria-labelledby="admin-endpoints-title">
        <h2 id="admin-endpoints-title" ref={headingRef} tabIndex={-1} className="sr-only">
          Endpoints
        </h2>
        <div role="status" aria-live="polite" className={message ? 'inline-message inline-message--ok' : 'admin-live'}>
          {message}
        </div>
        {body}
      </section>
      {open?.kind === 'create' && <EndpointFormDialog onClose={() => setOpen(null)} onSaved={(e) => done(`Added ${label(e)}.`)} />}
      {open?.kind === 'edit' && (
        <EndpointFormDialog endpoint={open.endpoint} onClose={() => setOpen(null)} onSaved={(e) => done(`Saved ${label(e)}.`)} />
      )}
      {open?.kind === 'delete' && (
        <DeleteDialog endpoint={open.endpoint} onClose={() => setOpen(null)} onDeleted={() => done(`Deleted ${label(open.endpoint)}.`)} />
      )}
    </div>
  );
}
