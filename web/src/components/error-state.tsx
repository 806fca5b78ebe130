import type { ApiError } from '@/lib/api-client';

interface Props {
  error: ApiError;
  title?: string;
  onRetry?: () => void;
}

export function ErrorState({ error, title, onRetry }: Props) {
  return (
    <div className="state state--error" role="alert">
      <svg className="state__icon" viewBox="0 0 24 24" aria-hidden="true">
        <circle cx="12" cy="12" r="10" fill="none" stroke="currentColor" strokeWidth="2" />
        <path d="M12 7v6M12 16.5v.5" stroke="currentColor" strokeWidth="2" strokeLinecap="round" />
      </svg>
      <div className="state__body">
        <p className="state__title">{title ?? error.title}</p>
        <p className="state__detail">
          {title ? error.title : null}
          {title && error.detail ? ': ' : null}
          {error.detail}
          {error.status > 0 ? ` (HTTP ${error.status})` : null}
        </p>
        {error.errors.length > 0 && (
          <ul className="state__fields">
            {error.errors.map((e) => (
              <li key={`${e.field}:${e.message}`}>
                <code>{e.field}</code> {e.message}
              </li>
            ))}
          </ul>
        )}
        {error.requestId && (
          <p className="state__meta">
            Request ID <code>{error.requestId}</code>
          </p>
        )}
        {onRetry && (
          <button type="button" className="btn btn--secondary btn--sm" onClick={onRetry}>
            Try again
          </button>
        )}
      </div>
    </div>
  );
}
