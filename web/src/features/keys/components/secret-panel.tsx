import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { CopyButton } from '@/components/copy-button';
import type { ApiKey } from '@/types';

/** The whole secret, shown once after create or rotate: copy it, then confirm. */
export function SecretPanel({
  secret,
  apiKey,
  children,
  onDone,
}: {
  secret: string;
  apiKey: ApiKey;
  children?: ReactNode;
  onDone: () => void;
}) {
  return (
    <div className="secret-panel">
      <div className="callout callout--warning" role="note">
        <strong>This is the only time the full key is shown.</strong> Tollgate keeps only a hash of it. Store it in your
        secret manager now; if it is lost, rotate the key to get a new one.
      </div>
      <div className="secret-panel__key">
        <p className="field__label">
          {apiKey.name} <span className="muted">({apiKey.environment === 'live' ? 'live' : 'test'} key)</span>
        </p>
        <code className="secret-panel__value" data-testid="api-key-secret">
          {secret}
        </code>
        <div className="secret-panel__actions">
          <CopyButton text={secret} label="Copy key" />
          <Link to="/playground" className="btn btn--secondary btn--sm">
            Try it in the API playground
          </Link>
        </div>
      </div>
      {children}
      <div className="form__actions dialog__actions">
        <button type="button" className="btn btn--primary" onClick={onDone}>
          I have stored the key
        </button>
      </div>
    </div>
  );
}
