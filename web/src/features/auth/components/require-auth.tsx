import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { LoadingBlock } from '@/components/spinner';
import { useAuthStore } from '@/stores/auth-store';
import { loginPathFor } from '../lib/next-path';

/**
 * Guards protected routes: waits for the start-up session check, then lets the user through or sends them
 * to the sign-in page remembering where they were going (not after an explicit sign-out).
 */
export function RequireAuth({ children }: { children: ReactNode }) {
  const status = useAuthStore((s) => s.status);
  const reason = useAuthStore((s) => s.reason);
  const location = useLocation();

  if (status === 'unknown') {
    return (
      <div className="container boot">
        <LoadingBlock label="Restoring your session…" />
      </div>
    );
  }
  if (status === 'anonymous') {
    const remember = reason !== 'signed-out' && reason !== 'account-deleted';
    return <Navigate to={remember ? loginPathFor(location) : '/login'} replace state={{ reason }} />;
  }
  return <>{children}</>;
}
