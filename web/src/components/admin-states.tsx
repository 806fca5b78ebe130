import type { ReactNode } from 'react';
import { Link } from 'react-router-dom';
import type { ApiError } from '@/lib/api-client';
import { ErrorState } from './error-state';

/** For signed-in users whose role is not ADMIN (the server refuses them too). */
export function NotAllowed({ children }: { children?: ReactNode }) {
  return (
    <div className="state state--error" role="alert" data-testid="not-allowed">
      <div className="state__body">
        <p className="state__title">Not allowed</p>
        <div className="state__detail">{children ?? 'Only administrators can use the admin area.'}</div>
      </div>
    </div>
  );
}

/**
 * Why an admin page could not load: two-factor authentication missing (with the way to fix it), an address outside
 * ADMIN_IP_ALLOWLIST, no admin role, or any other failure (with a retry).
 */
export function AdminLoadError({ error, title, onRetry }: { error: ApiError; title: string; onRetry?: () => void }) {
  if (error.code === 'ADMIN_2FA_REQUIRED') {
    return (
      <div className="state state--error" role="alert" data-testid="admin-2fa-required">
        <div className="state__body">
          <p className="state__title">Turn on two-factor authentication first</p>
          <p className="state__detail">
            Admin pages need two-factor authentication on your account. <Link to="/account#two-factor">Set it up in Account settings</Link>,
            then come back.
          </p>
        </div>
      </div>
    );
  }
  if (error.code === 'ADMIN_IP_FORBIDDEN') {
    return (
      <ErrorState
        error={error}
        title="Not available from this network: the admin API accepts only the addresses in ADMIN_IP_ALLOWLIST"
      />
    );
  }
  if (error.status === 403) {
    return <ErrorState error={error} title="Not allowed: only administrators can see this" />;
  }
  return <ErrorState error={error} title={title} onRetry={onRetry} />;
}

