import type { ReactNode, Ref } from 'react';
import type { FormError } from '@/hooks/use-form';

/** The form-level error: focusable so focus can move to it after a failed submit, and announced. */
export function FormAlert({ error, alertRef }: { error: FormError | null; alertRef: Ref<HTMLDivElement> }) {
  return (
    <div ref={alertRef} tabIndex={-1} className={error ? 'form-alert' : undefined} role="alert">
      {error && (
        <>
          <p className="form-alert__message">{error.message}</p>
          {error.details.length > 0 && (
            <ul className="form-alert__details">
              {error.details.map((d) => (
                <li key={d}>{d}</li>
              ))}
            </ul>
          )}
          {error.requestId && (
            <p className="form-alert__meta">
              Request ID <code>{error.requestId}</code>
            </p>
          )}
        </>
      )}
    </div>
  );
}

/** A success or information message announced politely. */
export function Notice({ tone = 'success', children }: { tone?: 'success' | 'info' | 'warning'; children: ReactNode }) {
  return (
    <div className={`callout callout--${tone}`} role="status">
      {children}
    </div>
  );
}

export function SubmitButton({
  pending,
  children,
  pendingLabel,
  variant = 'primary',
  className,
}: {
  pending: boolean;
  children: ReactNode;
  pendingLabel?: string;
  variant?: 'primary' | 'secondary' | 'danger';
  className?: string;
}) {
  // aria-disabled instead of disabled: a disabled button drops keyboard focus mid-submit.
  return (
    <button
      type="submit"
      className={`btn btn--${variant}${pending ? ' is-pending' : ''}${className ? ` ${className}` : ''}`}
      aria-disabled={pending || undefined}
    >
      {pending && <span className="spinner spinner--inline" aria-hidden="true" />}
      {pending ? (pendingLabel ?? children) : children}
    </button>
  );
}
