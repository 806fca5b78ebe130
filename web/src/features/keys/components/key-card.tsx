import { EnvironmentBadge, KeyStatusBadge } from '@/components/key-status-badge';
import { formatDate, formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import type { ApiKey } from '@/types';
import { actionsFor, type KeyAction } from '../lib/key-actions';

const LABELS: Record<KeyAction, string> = {
  rename: 'Rename',
  disable: 'Disable',
  enable: 'Enable',
  rotate: 'Rotate',
  revoke: 'Revoke',
};

export function KeyCard({
  apiKey,
  busy,
  onAction,
}: {
  apiKey: ApiKey;
  /** An action on this key is in flight (disable / enable). */
  busy: KeyAction | null;
  onAction: (action: KeyAction, key: ApiKey) => void;
}) {
  const actions = actionsFor(apiKey);
  const metadataKeys = Object.keys(apiKey.metadata ?? {});
  const headingId = `key-${apiKey.id}-name`;

  return (
    <li className="key card" data-testid="api-key" aria-labelledby={headingId}>
      <div className="key__head">
        <h3 id={headingId} className="key__name">
          {apiKey.name}
        </h3>
        <EnvironmentBadge environment={apiKey.environment} />
        <KeyStatusBadge apiKey={apiKey} />
      </div>
      <p className="key__prefix">
        <span className="sr-only">Key prefix </span>
        <code>{apiKey.prefix}…</code>
      </p>
      <dl className="key__meta small">
        <div>
          <dt>Created</dt>
          <dd>
            <time dateTime={apiKey.createdAt}>{formatDate(apiKey.createdAt)}</time>
          </dd>
        </div>
        <div>
          <dt>Last used</dt>
          <dd>
            {apiKey.lastUsedAt ? (
              <>
                <time dateTime={apiKey.lastUsedAt} title={formatDateTime(apiKey.lastUsedAt)}>
                  {formatRelative(apiKey.lastUsedAt)}
                </time>
                {apiKey.lastUsedIp && <> from {apiKey.lastUsedIp}</>}
              </>
            ) : (
              'Never'
            )}
          </dd>
        </div>
        <div>
          <dt>{apiKey.status === 'expired' ? 'Expired' : 'Expires'}</dt>
          <dd>{apiKey.expiresAt ? <time dateTime={apiKey.expiresAt}>{formatDateTime(apiKey.expiresAt)}</time> : 'Never'}</dd>
        </div>
        <div>
          <dt>Rate limit</dt>
          <dd>{apiKey.rateLimitPerMinute ? `${formatNumber(apiKey.rateLimitPerMinute)}/min (override)` : "Plan's limit"}</dd>
        </div>
        {apiKey.revokedAt && (
          <div>
            <dt>Revoked</dt>
            <dd>
              <time dateTime={apiKey.revokedAt}>{formatDateTime(apiKey.revokedAt)}</time>
            </dd>
          </div>
        )}
      </dl>
      {metadataKeys.length > 0 && (
        <details className="key__metadata">
          <summary>Metadata ({metadataKeys.length === 1 ? '1 field' : `${metadataKeys.length} fields`})</summary>
          <pre>
            <code>{JSON.stringify(apiKey.metadata, null, 2)}</code>
          </pre>
        </details>
      )}
      {actions.length > 0 && (
        <div className="key__actions" role="group" aria-label={`Actions for ${apiKey.name}`}>
          {actions.map((action) => (
            <button
              key={action}
              type="button"
              className={`btn btn--sm ${action === 'revoke' ? 'btn--danger-outline' : 'btn--secondary'}`}
              aria-disabled={busy !== null || undefined}
              onClick={() => busy === null && onAction(action, apiKey)}
            >
              {busy === action ? (action === 'disable' ? 'Disabling…' : 'Enabling…') : LABELS[action]}
              <span className="sr-only"> {apiKey.name}</span>
            </button>
          ))}
        </div>
      )}
    </li>
  );
}
