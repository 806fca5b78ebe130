import { apiClient } from '@/lib/api-client';
import type { Readiness } from '@/types';

export type { Readiness };

/** GET /readyz. 503 is an answer (not ready), not a failure: both carry the same body. */
export async function getReadiness(signal?: AbortSignal): Promise<Readiness> {
  const response = await apiClient.get<Readiness>('/readyz', {
    signal,
    validateStatus: (status) => status === 200 || status === 503,
  });
  const body = response.data as unknown;
  if (!body || typeof body !== 'object' || !('checks' in body) || !('status' in body)) {
    throw new Error('The readiness endpoint returned an unexpected body.');
  }
  return response.data;
}
