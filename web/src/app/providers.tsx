import { StrictMode, type ReactNode } from 'react';
import { BrowserRouter } from 'react-router-dom';
import { ErrorBoundary } from '@/components/error-boundary';
import { reportClientError } from '@/features/client-errors/api/report-client-error';

export function AppProviders({ children }: { children: ReactNode }) {
  return (
    <StrictMode>
      {/* Outermost net: catches errors in the layout itself; pages have their own boundary. */}
      <ErrorBoundary onError={(error, info) => void reportClientError(error, info.componentStack ?? undefined)}>
        <BrowserRouter future={{ v7_startTransition: true, v7_relativeSplatPath: true }}>{children}</BrowserRouter>
      </ErrorBoundary>
    </StrictMode>
  );
}
