import { apiClient } from '@/lib/api-client';
import type { ClientErrorReport } from '@/types';

// Mirrors ClientErrorReport's maxLength values in api/openapi.yaml; the server rejects longer fields.
export const CLIENT_ERROR_LIMITS = { message: 2000, stack: 16000, url: 2000, userAgent: 500 } as const;

function truncate(value: string | undefined, max: number): string | undefined {
  if (value === undefined) return undefined;
  return value.length > max ? value.slice(0, max) : value;
}

export function buildClientErrorReport(error: unknown, extraStack?: string): ClientErrorReport {
  const err = error instanceof Error ? error : undefined;
  const message = (err ? `${err.name}: ${err.message}` : String(error)).trim() || 'Unknown error';
  const stack = [err?.stack, extraStack].filter(Boolean).join('\n\nComponent stack:') || undefined;
  const report: ClientErrorReport = {
    message: truncate(message, CLIENT_ERROR_LIMITS.message) ?? 'Unknown error',
  };
  const truncatedStack = truncate(stack, CLIENT_ERROR_LIMITS.stack);
  if (truncatedStack) report.stack = truncatedStack;
  if (typeof window !== 'undefined') report.url = truncate(window.location.href, CLIENT_ERROR_LIMITS.url);
  if (typeof navigator !== 'undefined') report.userAgent = truncate(navigator.userAgent, CLIENT_ERROR_LIMITS.userAgent);
  return report;
}

let sentRecently = 0;

/** POST /api/client-errors. Best effort: never throws, and caps the rate so a render loop cannot flood the server. */
export async function reportClientError(error: unknown, componentStack?: string): Promise<void> {
  const now = Date.now();
  if (now - sentRecently < 2000) return;
  sentRecently = now;
  try {
    await apiClient.post('/api/client-errors', buildClientErrorReport(error, componentStack), { timeout: 5000 });
  } catch {
    // Nothing sensible to do if the report itself fails.
  }
}
