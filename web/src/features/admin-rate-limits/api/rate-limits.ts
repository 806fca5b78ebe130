import { apiClient } from '@/lib/api-client';
import type { RateLimitState } from '@/types';

export type SubjectKind = RateLimitState['kind'];

/** GET /api/admin/rate-limits: a peek at the subject's buckets (it counts nothing). 404 API_KEY_NOT_FOUND. */
export async function getRateLimits(kind: SubjectKind, id: string, signal?: AbortSignal): Promise<RateLimitState> {
  const response = await apiClient.get<RateLimitState>('/api/admin/rate-limits', { params: { kind, id }, signal });
  return response.data;
}

/** POST /api/admin/rate-limits/reset: empties every bucket of the subject (204). */
export async function resetRateLimits(kind: SubjectKind, id: string, reason: string): Promise<void> {
  await apiClient.post('/api/admin/rate-limits/reset', { kind, id, reason });
}
