import { useCallback, useRef, useState } from 'react';
import { useRequest } from '@/hooks/use-request';
import { toApiError, type ApiError } from '@/lib/api-client';
import type { UsageEvent } from '@/types';
import { listUsageEvents, type EventFilter } from '../api/usage';

interface More {
  key: string;
  items: UsageEvent[];
  cursor: string | null;
}

/** Raw events for a filter: the first page, then "load more" pages appended via the cursor. */
export function useUsageEvents(filter: EventFilter, reloadToken?: number) {
  const key = JSON.stringify([filter, reloadToken ?? 0]);
  const first = useRequest((signal) => listUsageEvents(filter, null, signal), { key });
  const [more, setMore] = useState<More | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<{ key: string; error: ApiError } | null>(null);
  const inflight = useRef<AbortController | null>(null);

  const extra = more && more.key === key ? more : null;
  const items = first.data ? [...first.data.items, ...(extra?.items ?? [])] : [];
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);

  const loadMore = useCallback(async () => {
    if (!cursor || inflight.current) return;
    const controller = new AbortController();
    inflight.current = controller;
    setLoadingMore(true);
    setMoreError(null);
    try {
      const page = await listUsageEvents(filter, cursor, controller.signal);
      setMore((prev) => ({
        key,
        items: [...(prev && prev.key === key ? prev.items : []), ...page.items],
        cursor: page.nextCursor,
      }));
    } catch (err) {
      const error = toApiError(err);
      if (error.code !== 'CANCELED') setMoreError({ key, error });
    } finally {
      inflight.current = null;
      setLoadingMore(false);
    }
    // `filter` is captured through `key`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [cursor, key]);

  const refresh = useCallback(() => {
    inflight.current?.abort();
    setMore(null);
    first.refresh();
  }, [first]);

  return {
    items,
    hasMore: cursor !== null,
    isLoading: first.isLoading,
    isRefreshing: first.isRefreshing,
    error: first.error,
    loadingMore,
    moreError: moreError?.key === key ? moreError.error : undefined,
    loadMore,
    refresh,
  };
}
