import { useCallback, useRef, useState } from 'react';
import { useRequest } from '@/hooks/use-request';
import { toApiError, type ApiError } from '@/lib/api-client';
import type { AuditEntry } from '@/types';
import { listAuditLog } from '../api/admin-audit';
import type { AuditFilter } from '../lib/audit-filter';

interface More {
  key: string;
  items: AuditEntry[];
  cursor: string | null;
}

/** The audit log for a filter: the first page, then older pages appended with "Load more" (nextCursor → before). */
export function useAuditLog(filter: AuditFilter) {
  const key = JSON.stringify(filter);
  const first = useRequest((signal) => listAuditLog(filter, null, signal), { key });
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
      const page = await listAuditLog(filter, cursor, controller.signal);
      setMore((prev) => ({ key, items: [...(prev && prev.key === key ? prev.items : []), ...page.items], cursor: page.nextCursor }));
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
    loaded: first.data !== undefined,
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
