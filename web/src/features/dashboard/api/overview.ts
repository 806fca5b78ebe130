import { apiClient } from '@/lib/api-client';
import type { ApiKeyList, Quota, UsageEvent, UsageEventPage } from '@/types';

/** GET /api/user/usage/quota. */
export async function getQuota(signal?: AbortSignal): Promise<Quota> {
  const response = await apiClient.get<Quota>('/api/user/usage/quota', { signal });
  return response.data;
}

/** GET /api/user/api-keys (the overview shows the newest few and the allowance). */
export async function getKeys(signal?: AbortSignal): Promise<ApiKeyList> {
  const response = await apiClient.get<ApiKeyList>('/api/user/api-keys', { signal });
  return response.data;
}

/** The newest failed calls (4xx and 5xx) of the last 30 days, newest first. */
export async function getRecentErrors(limit: number, signal?: AbortSignal): Promise<UsageEvent[]> {
  const page = (statusClass: '4xx' | '5xx') =>
    apiClient.get<UsageEventPage>('/api/user/usage/detailed', { params: { statusClass, limit }, signal });
  const [client, server] = await Promise.all([page('4xx'), page('5xx')]);
  return [...client.data.items, ...server.data.items]
    .sort((a, b) => Date.parse(b.occurredAt) - Date.parse(a.occurredAt))
    .slice(0, limit);
}
