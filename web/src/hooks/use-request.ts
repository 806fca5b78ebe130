import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from '@/lib/api-client';

export interface RequestState<T> {
  data: T | undefined;
  error: ApiError | undefined;
  /** First load, nothing to show yet. */
  isLoading: boolean;
  /** A background refresh while older data is shown. */
  isRefreshing: boolean;
  lastUpdated: Date | undefined;
  refresh: () => void;
}

interface Options {
  /** Re-fetch every N ms (skipped while the tab is hidden). */
  intervalMs?: number;
  /**
   * What the fetcher depends on (e.g. serialised filters). A new value fetches again at once, aborting the
   * request in flight; the previous data stays shown (`isRefreshing`) until the answer arrives.
   */
  key?: string;
}

/**
 * Small fetch-state hook: keeps the last good data during refreshes and errors,
 * aborts in-flight requests on unmount and ignores out-of-order answers.
 */
export function useRequest<T>(fetcher: (signal: AbortSignal) => Promise<T>, options: Options = {}): RequestState<T> {
  const { intervalMs, key } = options;
  const [data, setData] = useState<T>();
  const [error, setError] = useState<ApiError>();
  const [pending, setPending] = useState(true);
  const [lastUpdated, setLastUpdated] = useState<Date>();
  const fetcherRef = useRef(fetcher);
  const controllerRef = useRef<AbortController | null>(null);
  const seqRef = useRef(0);

  // Updated during render so an effect that re-runs for a new `key` already sees the matching fetcher.
  fetcherRef.current = fetcher;

  const run = useCallback(async () => {
    controllerRef.current?.abort();
    const controller = new AbortController();
    controllerRef.current = controller;
    const seq = ++seqRef.current;
    setPending(true);
    try {
      const result = await fetcherRef.current(controller.signal);
      if (seq !== seqRef.current) return;
      setData(result);
      setError(undefined);
      setLastUpdated(new Date());
    } catch (err) {
      if (seq !== seqRef.current) return;
      const apiError = toApiError(err);
      if (apiError.code === 'CANCELED') return;
      setError(apiError);
    } finally {
      if (seq === seqRef.current) setPending(false);
    }
  }, []);

  useEffect(() => {
    const seq = seqRef;
    const controller = controllerRef;
    void run();
    return () => {
      // Invalidate whatever is in flight so it cannot set state after unmount.
      seq.current++;
      controller.current?.abort();
    };
  }, [run, key]);

  useEffect(() => {
    if (!intervalMs) return undefined;
    const id = window.setInterval(() => {
      if (typeof document !== 'undefined' && document.visibilityState === 'hidden') return;
      void run();
    }, intervalMs);
    return () => window.clearInterval(id);
  }, [intervalMs, run]);

  const refresh = useCallback(() => {
    void run();
  }, [run]);

  const hasResult = data !== undefined || error !== undefined;
  return {
    data,
    error,
    isLoading: pending && !hasResult,
    isRefreshing: pending && hasResult,
    lastUpdated,
    refresh,
  };
}
