import { AxiosError } from 'axios';
import { apiClient, isApiError, toApiError } from '@/lib/api-client';
import { filenameFromDisposition } from '@/lib/download';
import type { AuditPage } from '@/types';
import { AUDIT_PAGE_SIZE, auditQuery, type AuditFilter } from '../lib/audit-filter';

/** GET /api/admin/audit-log: newest first; `before` is the previous page's nextCursor. */
export async function listAuditLog(filter: AuditFilter, before: string | null, signal?: AbortSignal): Promise<AuditPage> {
  const params: Record<string, string | number> = { ...auditQuery(filter), limit: AUDIT_PAGE_SIZE };
  if (before) params.before = before;
  const response = await apiClient.get<AuditPage>('/api/admin/audit-log', { params, signal });
  return response.data;
}

/** A failed blob request carries its problem document as a Blob: read it so the error says what went wrong. */
async function withProblemBody(err: unknown): Promise<unknown> {
  const cause = isApiError(err) ? err.cause : err;
  if (cause instanceof AxiosError && cause.response && cause.response.data instanceof Blob) {
    try {
      cause.response.data = await cause.response.data.text();
      return toApiError(cause);
    } catch {
      return err;
    }
  }
  return err;
}

/**
 * GET /api/admin/audit-log/export with the same filters (up to 10,000 rows), fetched as a blob through the API
 * client so the bearer token is sent; the caller saves it.
 */
export async function exportAuditCsv(filter: AuditFilter): Promise<{ blob: Blob; filename: string | undefined }> {
  try {
    const response = await apiClient.get<Blob>('/api/admin/audit-log/export', {
      params: auditQuery(filter),
      responseType: 'blob',
      headers: { Accept: 'text/csv, application/problem+json' },
      timeout: 120_000,
    });
    const disposition = response.headers['content-disposition'] as string | undefined;
    return { blob: response.data, filename: filenameFromDisposition(disposition) };
  } catch (err) {
    throw await withProblemBody(err);
  }
}
