import { useRef, useState } from 'react';
import { Link } from 'react-router-dom';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { describeKeyStatus } from '@/lib/api-keys';
import { toApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { formatNumber } from '@/lib/format';
import { useRevealedKeyStore } from '@/stores/revealed-key-store';
import type { ApiKey, ApiKeyAllowance } from '@/types';
import { listApiKeys, updateApiKey } from '../api/api-keys';
import type { KeyAction } from '../lib/key-actions';
import { limitMessage } from '../lib/key-form';
import { CreateKeyDialog } from './create-key-dialog';
import { KeyCard } from './key-card';
import { RenameKeyDialog } from './rename-key-dialog';
import { RevokeKeyDialog } from './revoke-key-dialog';
import { RotateKeyDialog } from './rotate-key-dialog';

const VERIFY_DOCS = '/docs/api#verifyKey';
const PLAYGROUND = '/playground';

type Open =
  | { kind: 'create' }
  | { kind: 'rename'; key: ApiKey }
  | { kind: 'rotate'; key: ApiKey }
  | { kind: 'revoke'; key: ApiKey }
  | null;

type Message = { tone: 'ok' | 'error'; text: string } | null;

function pick(key: ApiKey) {
  return { id: key.id, name: key.name, prefix: key.prefix };
}

function atLimit(allowance: ApiKeyAllowance | undefined): boolean {
  return !!allowance && allowance.max !== null && allowance.active >= allowance.max;
}

function Allowance({ allowance, limitId }: { allowance: ApiKeyAllowance; limitId: string }) {
  const full = atLimit(allowance);
  return (
    <div className="allowance">
      <p className="allowance__count" data-testid="key-allowance">
        {allowance.max === null ? (
          <>
            <strong>{formatNumber(allowance.active)}</strong> active key{allowance.active === 1 ? '' : 's'}{' '}
            <span className="muted">· no limit on your plan</span>
          </>
        ) : (
          <>
            <strong>
              {formatNumber(allowance.active)} of {formatNumber(allowance.max)}
            </strong>{' '}
            active keys
          </>
        )}
      </p>
      {full && (
        <p id={limitId} className="callout callout--warning allowance__limit" data-testid="key-limit">
          <strong>You are at your plan's key limit.</strong> {limitMessage(allowance)}
        </p>
      )}
    </div>
  );
}

function KeysEmptyState({ onCreate }: { onCreate: () => void }) {
  return (
    <EmptyState title="No API keys yet">
      <div className="keys-empty">
        <p>
          An API key identifies an app or a customer calling your API. Your service sends the key to{' '}
          <code>POST /v1/keys/verify</code>; Tollgate answers whether the call may go ahead, enforces rate limits and
          quotas, and records the usage you see on the Usage page.
        </p>
        <div className="keys-empty__actions">
          <button type="button" className="btn btn--primary" onClick={onCreate}>
            Create your first key
          </button>
          <Link to={VERIFY_DOCS} className="btn btn--secondary">
            Read the verify API docs
          </Link>
        </div>
      </div>
    </EmptyState>
  );
}

export function ApiKeysPage() {
  useDocumentTitle('API keys');
  const keys = useRequest(listApiKeys);
  const [open, setOpen] = useState<Open>(null);
  const [busy, setBusy] = useState<{ id: string; action: KeyAction } | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const listHeadingRef = useRef<HTMLHeadingElement>(null);
  // The secret stays in memory (never storage) so the API playground can prefill it.
  const rememberSecret = useRevealedKeyStore((s) => s.remember);
  const limitId = 'key-limit-message';

  const allowance = keys.data?.allowance;
  const full = atLimit(allowance);
  const all = keys.data?.keys ?? [];
  const current = all.filter((k) => describeKeyStatus(k).state !== 'revoked');
  const revoked = all.filter((k) => describeKeyStatus(k).state === 'revoked');

  const close = () => setOpen(null);

  const openCreate = () => {
    if (full) return;
    setMessage(null);
    setOpen({ kind: 'create' });
  };

  const setStatus = async (key: ApiKey, status: 'active' | 'disabled') => {
    setBusy({ id: key.id, action: status === 'active' ? 'enable' : 'disable' });
    setMessage(null);
    try {
      await updateApiKey(key.id, { status });
      setMessage({
        tone: 'ok',
        text:
          status === 'active'
            ? `Enabled “${key.name}”. It works again.`
            : `Disabled “${key.name}”. Calls with it are refused as DISABLED until you enable it.`,
      });
    } catch (err) {
      const error = toApiError(err);
      let text = errorMessage(error);
      if (error.code === 'KEY_LIMIT_REACHED') text = `Cannot enable “${key.name}”: ${limitMessage(allowance)}`;
      else if (error.code === 'KEY_REVOKED') text = `“${key.name}” has been revoked; it can no longer change.`;
      else if (error.code === 'NOT_FOUND') text = `“${key.name}” no longer exists.`;
      setMessage({ tone: 'error', text });
    } finally {
      setBusy(null);
      keys.refresh();
    }
  };

  const onAction = (action: KeyAction, key: ApiKey) => {
    setMessage(null);
    if (action === 'enable') void setStatus(key, 'active');
    else if (action === 'disable') void setStatus(key, 'disabled');
    else setOpen({ kind: action, key });
  };

  let body;
  if (keys.isLoading) {
    body = <LoadingBlock label="Loading your API keys…" />;
  } else if (keys.error && !keys.data) {
    body = <ErrorState error={keys.error} title="Could not load your API keys" onRetry={keys.refresh} />;
  } else if (all.length === 0) {
    body = <KeysEmptyState onCreate={openCreate} />;
  } else {
    body = (
      <>
        {current.length > 0 ? (
          <ul className="keys" aria-label="API keys">
            {current.map((k) => (
              <KeyCard key={k.id} apiKey={k} busy={busy?.id === k.id ? busy.action : null} onAction={onAction} />
            ))}
          </ul>
        ) : (
          <EmptyState title="No usable keys">All your keys are revoked. Create a new one to call the API.</EmptyState>
        )}
        {revoked.length > 0 && (
          <details className="keys-revoked">
            <summary>
              Revoked keys ({revoked.length})
            </summary>
            <ul className="keys" aria-label="Revoked API keys">
              {revoked.map((k) => (
                <KeyCard key={k.id} apiKey={k} busy={null} onAction={onAction} />
              ))}
            </ul>
          </details>
        )}
      </>
    );
  }

  return (
    <div className="page keys-page">
      <PageHeader
        title="API keys"
        description={
          <>
            Keys your customers and apps use to call your API. Check them from your service with the{' '}
            <Link to={VERIFY_DOCS}>verify API</Link>, or try one through the gateway in the{' '}
            <Link to={PLAYGROUND}>API playground</Link>.
          </>
        }
        actions={
          <>
            <Link to={PLAYGROUND} className="btn btn--secondary">
              API playground
            </Link>
            <button
              type="button"
              className="btn btn--primary"
              onClick={openCreate}
              aria-disabled={full || keys.isLoading || undefined}
              aria-describedby={full ? limitId : undefined}
            >
              Create key
            </button>
          </>
        }
      />

      {allowance && <Allowance allowance={allowance} limitId={limitId} />}

      <section aria-labelledby="keys-list-title" className="keys-section">
        <h2 id="keys-list-title" ref={listHeadingRef} tabIndex={-1} className="sr-only">
          Your keys
        </h2>
        <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined}>
          {message?.text}
        </div>
        {body}
      </section>

      {open?.kind === 'create' && (
        <CreateKeyDialog
          allowance={allowance}
          onCreated={(created) => {
            rememberSecret({ ...pick(created.key), secret: created.secret, how: 'created' });
            keys.refresh();
          }}
          onClose={close}
        />
      )}
      {open?.kind === 'rename' && (
        <RenameKeyDialog
          apiKey={open.key}
          onRenamed={(k) => {
            close();
            setMessage({ tone: 'ok', text: `Renamed to “${k.name}”.` });
            keys.refresh();
          }}
          onClose={close}
        />
      )}
      {open?.kind === 'rotate' && (
        <RotateKeyDialog
          apiKey={open.key}
          onRotated={(rotated) => {
            rememberSecret({ ...pick(rotated.key), secret: rotated.secret, how: 'rotated' });
            keys.refresh();
          }}
          onClose={close}
        />
      )}
      {open?.kind === 'revoke' && (
        <RevokeKeyDialog
          apiKey={open.key}
          onRevoked={(k) => {
            close();
            setMessage({ tone: 'ok', text: `Revoked “${k.name}”. Calls with it are now refused.` });
            // The row and its buttons are gone: keep focus in the list.
            window.setTimeout(() => listHeadingRef.current?.focus(), 0);
            keys.refresh();
          }}
          onClose={close}
        />
      )}
    </div>
  );
}
