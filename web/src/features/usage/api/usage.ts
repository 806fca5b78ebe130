import { apiClient } from '@/lib/api-client';
import { filenameFromDisposition } from '@/lib/download';
import type {
  ApiKey,
  ApiKeyList,
  Quota,
  UsageByEndpoint,
  UsageEventPage,
  UsageSummary,
  UsageTimeseries,
} from '@/types';

export interface UsageRange {
  /** ISO date-times; `to` is exclusive. */
  from: string;
  to: string;
  keyId?: string | undefined;
}

export interface UsageOverview {
  summary: UsageSummary;
  timeseries: UsageTimeseries;
  byEndpoint: UsageByEndpoint['items'];
}

function rangeParams(range: UsageRange): Record<string, string> {
  const params: Record<string, string> = { from: range.from, to: range.to };
  if (range.keyId) params.keyId = range.keyId;
  return params;
}

/** Summary, chart points and per-endpoint totals of one range, fetched together. */
export async function getUsageOverview(
  range: UsageRange,
  granularity: 'hour' | 'day' | undefined,
  signal?: AbortSignal,
): Promise<UsageOverview> {
  const params = rangeParams(range);
  const [summary, timeseries, byEndpoint] = await Promise.all([
    apiClient.get<UsageSummary>('/api/user/usage/summary', { params, signal }),
    apiClient.get<UsageTimeseries>('/api/user/usage/timeseries', {
      params: granularity ? { ...params, granularity } : params,
      signal,
    }),
    apiClient.get<UsageByEndpoint>('/api/user/usage/by-endpoint', { params, signal }),
  ]);
  return { summary: summary.data, timeseries: timeseries.data, byEndpoint: byEndpoint.data.items };
}

/** GET /api/user/usage/quota: the current period, whatever range is on screen. */
export async function getQuota(signal?: AbortSignal): Promise<Quota> {
  const response = await apiClient.get<Quota>('/api/user/usage/quota', { signal });
  return response.data;
}

export interface EventFilter extends UsageRange {
  statusClass?: '2xx' | '3xx' | '4xx' | '5xx' | undefined;
  endpoint?: string | undefined;
}

export const EVENTS_PAGE_SIZE = 50;

/** GET /api/user/usage/detailed: one page of raw events, newest first. */
export async function listUsageEvents(filter: EventFilter, cursor: string | null, signal?: AbortSignal): Promise<UsageEventPage> {
  const params: Record<string, string | number> = { ...rangeParams(filter), limit: EVENTS_PAGE_SIZE };
  if (filter.statusClass) params.statusClass = filter.statusClass;
  if (filter.endpoint) params.endpoint = filter.endpoint;
  if (cursor) params.cursor = cursor;
  const response = await apiClient.get<UsageEventPage>('/api/user/usage/detailed', { params, signal });
  return response.data;
}

/** The organization's keys, for the key filter and to name keys in the events table. */
export async function listKeys(signal?: AbortSignal): Promise<ApiKey[]> {
  const response = await apiClient.get<ApiKeyList>('/api/user/api-keys', { signal });
  return response.data.keys;
}

/**
 * GET /api/user/usage/export as text (with the bearer token, so not a plain link). Text rather than a blob so
 * that a problem+json error body is still parsed into an ApiError.
 */
export async function exportUsageCsv(range: UsageRange): Promise<{ csv: string; filename: string | undefined }> {
  const response = await apiClient.get<string>('/api/user/usage/export', {
    params: rangeParams(range),
    responseType: 'text',
    headers: { Accept: 'text/csv, application/problem+json' },
    timeout: 120_000,
  });
  const disposition = response.headers['content-disposition'] as string | undefined;
  return { csv: response.data, filename: filenameFromDisposition(disposition) };
}
