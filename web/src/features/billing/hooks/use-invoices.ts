import { useCallback, useRef, useState } from 'react';
import { useRequest } from '@/hooks/use-request';
import { toApiError, type ApiError } from '@/lib/api-client';
import type { InvoiceSummary } from '@/types';
import { listInvoices } from '../api/billing';

/** The organization's invoices: the first page, then "load more" pages appended via `nextCursor`. */
export function useInvoices(reloadToken = 0) {
  const first = useRequest((signal) => listInvoices(null, signal), { key: String(reloadToken) });
  const [more, setMore] = useState<{ token: number; items: InvoiceSummary[]; cursor: string | null } | null>(null);
  const [loadingMore, setLoadingMore] = useState(false);
  const [moreError, setMoreError] = useState<ApiError | undefined>();
  const inflight = useRef<AbortController | null>(null);

  const extra = more && more.token === reloadToken ? more : null;
  const items = first.data ? [...first.data.invoices, ...(extra?.items ?? [])] : [];
  const cursor = extra ? extra.cursor : (first.data?.nextCursor ?? null);

  const loadMore = useCallback(async () => {
    if (!cursor || inflight.current) return;
    const controller = new AbortController();
    inflight.current = controller;
    setLoadingMore(true);
    setMoreError(undefined);
    try {
      const page = await listInvoices(cursor, controller.signal);
      setMore((prev) => ({
        token: reloadToken,
        items: [...(prev && prev.token === reloadToken ? prev.items : []), ...page.invoices],
        cursor: page.nextCursor,
      }));
    } catch (err) {
      const error = toApiError(err);
      if (error.code !== 'CANCELED') setMoreError(error);
    } finally {
      inflight.current = null;
      setLoadingMore(false);
    }
  }, [cursor, reloadToken]);

  const refresh = useCallback(() => {
    inflight.current?.abort();
    setMore(null);
    first.refresh();
  }, [first]);

  return {
    items,
    hasMore: cursor !== null,
    isLoading: first.isLoading,
    error: first.error,
    loadingMore,
    moreError,
    loadMore,
    refresh,
  };
}
