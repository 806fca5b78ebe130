import { apiClient } from '@/lib/api-client';
import type { AdminAnalytics } from '@/types';
import type { AnalyticsRange } from '../lib/analytics-range';

/**
 * GET /api/admin/analytics?from&to (UTC days, both included, at most 366): signups, logins, API traffic, MRR/ARR,
 * conversion, churn, revenue by month, top organizations and endpoints. Read from rollups refreshed every minute.
 */
export async function getAdminAnalytics(range: AnalyticsRange, signal?: AbortSignal): Promise<AdminAnalytics> {
  const response = await apiClient.get<AdminAnalytics>('/api/admin/analytics', {
    params: { from: range.from, to: range.to },
    signal,
  });
  return response.data;
}
