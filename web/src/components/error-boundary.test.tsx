import { render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { buildClientErrorReport, CLIENT_ERROR_LIMITS } from '@/features/client-errors/api/report-client-error';
import { ErrorBoundary } from './error-boundary';

function Boom(): never {
  throw new Error('kaboom');
}

describe('ErrorBoundary', () => {
  it('shows a friendly fallback and reports the error once', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const onError = vi.fn();
    render(
      <ErrorBoundary onError={onError}>
        <Boom />
      </ErrorBoundary>,
    );
    expect(screen.getByRole('alert')).toHaveTextContent('Something went wrong');
    expect(screen.getByRole('button', { name: 'Try again' })).toBeInTheDocument();
    expect(onError).toHaveBeenCalledTimes(1);
    expect(onError.mock.calls[0]?.[0]).toBeInstanceOf(Error);
  });
});

describe('buildClientErrorReport', () => {
  it("truncates every field to the contract's maxLength", () => {
    const err = new Error('m'.repeat(5000));
    err.stack = 's'.repeat(20000);
    const report = buildClientErrorReport(err, 'c'.repeat(100));
    expect(report.message.length).toBe(CLIENT_ERROR_LIMITS.message);
    expect(report.stack?.length).toBe(CLIENT_ERROR_LIMITS.stack);
    expect(report.url).toBe(window.location.href);
    expect((report.userAgent ?? '').length).toBeLessThanOrEqual(CLIENT_ERROR_LIMITS.userAgent);
  });

  it('never sends an empty message', () => {
    expect(buildClientErrorReport('').message.length).toBeGreaterThan(0);
  });
});
