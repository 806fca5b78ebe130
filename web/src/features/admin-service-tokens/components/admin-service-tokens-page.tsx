import { useRef, useState } from 'react';
import { AdminLoadError } from '@/components/admin-states';
import { Badge, type Tone } from '@/components/badge';
import { EmptyState } from '@/components/empty-state';
import { PageHeader } from '@/components/page-header';
import { ReasonDialog } from '@/components/reason-dialog';
import { RelativeTime } from '@/components/relative-time';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { formatDate } from '@/lib/format';
import type { ServiceToken } from '@/types';
import { listServiceTokens, revokeServiceToken } from '../api/service-tokens';
import { CreateTokenDialog } from './create-token-dialog';

type Open = { kind: 'create' } | { kind: 'revoke'; token: ServiceToken } | null;

const STATUS: Record<ServiceToken['status'], { label: string; tone: Tone }> = {
  active: { label: 'Active', tone: 'success' },
  expired: { label: 'Expired', tone: 'warning' },
  revoked: { label: 'Revoked', tone: 'neutral' },
};

function TokenRow({ token, onRevoke }: { token: ServiceToken; onRevoke: () => void }) {
  const status = STATUS[token.status] ?? { label: token.status, tone: 'neutral' as const };
  return (
    <tr data-testid="service-token" className={token.status === 'active' ? undefined : 'is-disabled'}>
      <th scope="row">
        <span className="admin-table__name">{token.name}</span>
        <code className="admin-table__sub small muted">{token.prefix}…</code>
      </th>
      <Cell label="Status">
        <Badge tone={status.tone} dot>
          {status.label}
        </Badge>
      </Cell>
      <Cell label="Scopes">
        <span className="badge-row">
          {token.scopes.map((s) => (
            <code key={s} className="small">
              {s}
            </code>
          ))}
        </span>
      </Cell>
      <Cell label="Created">
        <time dateTime={token.createdAt}>{formatDate(token.createdAt)}</time>
      </Cell>
      <Cell label="Expires">
        {token.expiresAt ? <time dateTime={token.expiresAt}>{formatDate(token.expiresAt)}</time> : <span className="muted">Never</span>}
      </Cell>
      <Cell label="Last used">
        <RelativeTime iso={token.lastUsedAt} />
      </Cell>
      <Cell label="Actions" className="admin-row-actions">
        {token.status !== 'revoked' ? (
          <button type="button" className="btn btn--danger-outline btn--sm" onClick={onRevoke} aria-label={`Revoke ${token.name}`}>
            Revoke
          </button>
        ) : (
          <span className="small muted">
            Revoked <RelativeTime iso={token.revokedAt} empty="" />
          </span>
        )}
      </Cell>
    </tr>
  );
}

/** `/admin/service-tokens`: tokens for trusted backends that verify customers' API keys. */
export function AdminServiceTokensPage() {
  useDocumentTitle('Service tokens');
  const tokens = useRequest(listServiceTokens);
  const [open, setOpen] = useState<Open>(null);
  const [message, setMessage] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const openDialog = (next: Open) => {
    setMessage(null);
    setOpen(next);
  };
  const close = (text?: string) => {
    setOpen(null);
    if (text) {
      setMessage(text);
      window.setTimeout(() => headingRef.current?.focus(), 0);
    }
  };

  let body;
  if (tokens.isLoading) {
    body = <LoadingBlock label="Loading service tokens…" />;
  } else if (tokens.error && !tokens.data) {
    body = <AdminLoadError error={tokens.error} title="Could not load the service tokens" onRetry={tokens.refresh} />;
  } else if (!tokens.data || tokens.data.length === 0) {
    body = (
      <EmptyState title="No service tokens yet">
        <p>Create one for each backend that verifies your customers&apos; keys with POST /v1/keys/verify.</p>
        <button type="button" className="btn btn--primary" onClick={() => openDialog({ kind: 'create' })}>
          Create the first token
        </button>
      </EmptyState>
    );
  } else {
    body = (
      <div className="table-wrap">
        <table className="table table--stack admin-table" data-testid="service-tokens">
          <caption className="sr-only">Service tokens, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">Status</th>
              <th scope="col">Scopes</th>
              <th scope="col">Created</th>
              <th scope="col">Expires</th>
              <th scope="col">Last used</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {tokens.data.map((t) => (
              <TokenRow key={t.id} token={t} onRevoke={() => openDialog({ kind: 'revoke', token: t })} />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  const forbidden = tokens.error?.status === 403;
  return (
    <div className="page admin-page">
      <PageHeader
        title="Service tokens"
        description="Credentials for your own backends: they verify any customer's API key without a user session."
        actions={
          forbidden ? undefined : (
            <button type="button" className="btn btn--primary" onClick={() => openDialog({ kind: 'create' })}>
              Create token
            </button>
          )
        }
      />
      <section aria-labelledby="service-tokens-title">
        <h2 id="service-tokens-title" ref={headingRef} tabIndex={-1} className="sr-only">
          All service tokens
        </h2>
        <div role="status" aria-live="polite" className={message ? 'inline-message inline-message--ok' : 'admin-live'}>
          {message}
        </div>
        {body}
      </section>
      {open?.kind === 'create' && <CreateTokenDialog onCreated={() => tokens.refresh()} onClose={() => close()} />}
      {open?.kind === 'revoke' && (
        <ReasonDialog
          title={`Revoke ${open.token.name}?`}
          description={
            <p>
              Calls made with it are refused at once (<code>{open.token.prefix}…</code>). This cannot be undone; create a new
              token for the service if it still needs one.
            </p>
          }
          reasonRequired={false}
          reasonHint="Recorded in the audit log when given."
          confirmLabel="Revoke token"
          pendingLabel="Revoking…"
          onClose={() => close()}
          onConfirm={async (reason) => {
            await revokeServiceToken(open.token.id, reason);
            tokens.refresh();
            close(`Revoked ${open.token.name}.`);
          }}
        />
      )}
    </div>
  );
}
