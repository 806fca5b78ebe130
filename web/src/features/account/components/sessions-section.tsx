import { useRef, useState } from 'react';
import { Badge } from '@/components/badge';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { useRequest } from '@/hooks/use-request';
import { toApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { formatDateTime, formatRelative } from '@/lib/format';
import { describeUserAgent } from '@/lib/user-agent';
import { useAuthStore } from '@/stores/auth-store';
import type { Session } from '@/types';
import { listSessions, logoutEverywhere, revokeSession } from '../api/sessions';
import { SettingsSection } from './settings-section';

function SessionRow({
  session,
  onRevoke,
  revoking,
}: {
  session: Session;
  onRevoke: (session: Session) => void;
  revoking: boolean;
}) {
  const device = describeUserAgent(session.userAgent);
  return (
    <li className={`session${session.current ? ' session--current' : ''}`} data-testid="session">
      <div className="session__main">
        <p className="session__device">
          {device} {session.current && <Badge tone="info">This device</Badge>}
        </p>
        {session.userAgent && (
          <p className="session__ua muted small" title={session.userAgent}>
            {session.userAgent}
          </p>
        )}
        <dl className="session__meta small">
          <div>
            <dt>IP address</dt>
            <dd>{session.ip ?? 'unknown'}</dd>
          </div>
          <div>
            <dt>Signed in</dt>
            <dd>
              <time dateTime={session.createdAt}>{formatDateTime(session.createdAt)}</time>
            </dd>
          </div>
          <div>
            <dt>Last active</dt>
            <dd>
              <time dateTime={session.lastUsedAt} title={formatDateTime(session.lastUsedAt)}>
                {formatRelative(session.lastUsedAt)}
              </time>
            </dd>
          </div>
        </dl>
      </div>
      {!session.current && (
        <button
          type="button"
          className="btn btn--secondary btn--sm"
          onClick={() => onRevoke(session)}
          aria-disabled={revoking || undefined}
          aria-label={`Revoke ${device} session signed in ${formatDateTime(session.createdAt)}`}
        >
          {revoking ? 'Revoking…' : 'Revoke'}
        </button>
      )}
    </li>
  );
}

function SignOutEverywhere() {
  const [confirming, setConfirming] = useState(false);
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const confirmRef = useRef<HTMLButtonElement>(null);

  const run = async () => {
    if (pending) return;
    setPending(true);
    setError(null);
    try {
      await logoutEverywhere();
      useAuthStore.getState().signedOut('signed-out');
    } catch (err) {
      setError(errorMessage(toApiError(err)));
      setPending(false);
    }
  };

  if (!confirming) {
    return (
      <button
        type="button"
        className="btn btn--danger-outline"
        onClick={() => {
          setConfirming(true);
          window.setTimeout(() => confirmRef.current?.focus(), 0);
        }}
      >
        Sign out everywhere
      </button>
    );
  }
  return (
    <div className="confirm" role="group" aria-label="Confirm signing out everywhere">
      <p>This ends every session, including this one. You will need to sign in again on each device.</p>
      {error && (
        <p className="field__error" role="alert">
          {error}
        </p>
      )}
      <div className="form__actions">
        <button ref={confirmRef} type="button" className="btn btn--danger" onClick={() => void run()} aria-disabled={pending || undefined}>
          {pending ? 'Signing out…' : 'Yes, sign out everywhere'}
        </button>
        <button type="button" className="btn btn--secondary" onClick={() => setConfirming(false)}>
          Cancel
        </button>
      </div>
    </div>
  );
}

export function SessionsSection() {
  const sessions = useRequest(listSessions);
  const [revoking, setRevoking] = useState<string | null>(null);
  const [revoked, setRevoked] = useState<string[]>([]);
  const [message, setMessage] = useState<{ tone: 'ok' | 'error'; text: string } | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const onRevoke = async (session: Session) => {
    if (revoking) return;
    setRevoking(session.id);
    setMessage(null);
    try {
      await revokeSession(session.id);
      setRevoked((ids) => [...ids, session.id]);
      setMessage({ tone: 'ok', text: `Signed out ${describeUserAgent(session.userAgent)}.` });
      // The row and its button are gone: keep keyboard focus in the section.
      headingRef.current?.focus();
      sessions.refresh();
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'NOT_FOUND') {
        setRevoked((ids) => [...ids, session.id]);
        setMessage({ tone: 'ok', text: 'That session had already ended.' });
        headingRef.current?.focus();
      } else {
        setMessage({ tone: 'error', text: errorMessage(error) });
      }
    } finally {
      setRevoking(null);
    }
  };

  const list = sessions.data?.filter((s) => !revoked.includes(s.id));

  let body;
  if (sessions.isLoading) body = <LoadingBlock label="Loading sessions…" />;
  else if (sessions.error && !list) body = <ErrorState error={sessions.error} title="Could not load your sessions" onRetry={sessions.refresh} />;
  else if (!list || list.length === 0) body = <EmptyState title="No active sessions">Sessions appear here when you sign in.</EmptyState>;
  else
    body = (
      <ul className="sessions" aria-label="Active sessions">
        {list.map((s) => (
          <SessionRow key={s.id} session={s} onRevoke={(x) => void onRevoke(x)} revoking={revoking === s.id} />
        ))}
      </ul>
    );

  return (
    <SettingsSection
      id="sessions"
      title="Active sessions"
      headingRef={headingRef}
      description="Every device where you are signed in. Revoke any you don't recognise, then change your password."
    >
      <div>
        <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined}>
          {message?.text}
        </div>
        {body}
      </div>
      <div className="sessions__footer">
        <SignOutEverywhere />
      </div>
    </SettingsSection>
  );
}
