import { useCallback, useEffect, useRef, useState } from 'react';
import { toApiError, type ApiError } from '@/lib/api-client';
import type { Notification, NotificationPage } from '@/types';
import { listNotifications, markAllNotificationsRead, markNotificationRead } from '../api/notifications';

/** How often the bell asks for news while the tab is visible. */
export const NOTIFICATIONS_POLL_MS = 60_000;

/** Focus and visibility often fire together: one refresh is enough. */
const MIN_GAP_MS = 2_000;

interface NotificationsState {
  /** Newest first: the first page, plus the older pages "Load more" fetched. */
  items: Notification[];
  /** Unread in all, not only the pages shown. */
  unread: number;
  nextCursor: string | null;
  /** The first answer arrived (an empty list then means "none"). */
  loaded: boolean;
  /** The last refresh failed (the items shown are the last good ones). */
  error: ApiError | undefined;
  loadingMore: boolean;
  moreError: ApiError | undefined;
}

const EMPTY: NotificationsState = {
  items: [],
  unread: 0,
  nextCursor: null,
  loaded: false,
  error: undefined,
  loadingMore: false,
  moreError: undefined,
};

function olderThan(a: Notification, b: Notification): boolean {
  const ta = Date.parse(a.createdAt);
  const tb = Date.parse(b.createdAt);
  return ta === tb ? a.id < b.id : ta < tb;
}

/** A fresh first page replaces the top of the list; older pages loaded before stay below it. */
function withFirstPage(state: NotificationsState, page: NotificationPage): NotificationsState {
  const ids = new Set(page.items.map((n) => n.id));
  const last = page.items[page.items.length - 1];
  const older = last ? state.items.filter((n) => !ids.has(n.id) && olderThan(n, last)) : [];
  return {
    ...state,
    items: [...page.items, ...older],
    unread: page.unread,
    nextCursor: older.length > 0 ? state.nextCursor : page.nextCursor,
    loaded: true,
    error: undefined,
  };
}

/**
 * The bell's data for `userKey` (the user the app shows): the first page at once, again every minute while the tab
 * is visible and whenever it regains focus; older pages on request; marking read at once on screen (undone if the
 * server refuses).
 */
export function useNotifications(userKey: string | null) {
  const [state, setState] = useState<NotificationsState>(EMPTY);
  const [actionError, setActionError] = useState<ApiError | null>(null);
  // Every change bumps this, so an answer to a request sent before it cannot overwrite newer knowledge.
  const generation = useRef(0);
  const controller = useRef<AbortController | null>(null);
  const lastRun = useRef(0);

  const refresh = useCallback(async () => {
    controller.current?.abort();
    const c = new AbortController();
    controller.current = c;
    const mine = ++generation.current;
    lastRun.current = Date.now();
    try {
      const page = await listNotifications({}, c.signal);
      if (mine !== generation.current) return;
      setState((s) => withFirstPage(s, page));
    } catch (err) {
      const error = toApiError(err);
      if (mine !== generation.current || error.code === 'CANCELED') return;
      setState((s) => ({ ...s, loaded: true, error }));
    }
  }, []);

  useEffect(() => {
    if (!userKey) return undefined;
    setState(EMPTY);
    setActionError(null);
    void refresh();
    const visible = () => document.visibilityState !== 'hidden';
    const id = window.setInterval(() => {
      if (visible()) void refresh();
    }, NOTIFICATIONS_POLL_MS);
    const onFocus = () => {
      if (visible() && Date.now() - lastRun.current >= MIN_GAP_MS) void refresh();
    };
    window.addEventListener('focus', onFocus);
    document.addEventListener('visibilitychange', onFocus);
    const gen = generation;
    const ctl = controller;
    return () => {
      window.clearInterval(id);
      window.removeEventListener('focus', onFocus);
      document.removeEventListener('visibilitychange', onFocus);
      gen.current++;
      ctl.current?.abort();
    };
  }, [userKey, refresh]);

  const loadMore = useCallback(async () => {
    const cursor = state.nextCursor;
    if (!cursor || state.loadingMore) return;
    const mine = generation.current;
    setState((s) => ({ ...s, loadingMore: true, moreError: undefined }));
    try {
      const page = await listNotifications({ before: cursor });
      setState((s) => {
        if (mine !== generation.current && s.nextCursor !== cursor) return { ...s, loadingMore: false };
        const ids = new Set(s.items.map((n) => n.id));
        return {
          ...s,
          items: [...s.items, ...page.items.filter((n) => !ids.has(n.id))],
          nextCursor: page.nextCursor,
          unread: mine === generation.current ? page.unread : s.unread,
          loadingMore: false,
        };
      });
    } catch (err) {
      setState((s) => ({ ...s, loadingMore: false, moreError: toApiError(err) }));
    }
  }, [state.nextCursor, state.loadingMore]);

  const markRead = useCallback(async (id: string) => {
    generation.current++;
    setActionError(null);
    setState((s) => ({
      ...s,
      items: s.items.map((n) => (n.id === id ? { ...n, read: true } : n)),
      unread: Math.max(0, s.unread - 1),
    }));
    try {
      await markNotificationRead(id);
    } catch (err) {
      generation.current++;
      setState((s) => ({
        ...s,
        items: s.items.map((n) => (n.id === id ? { ...n, read: false } : n)),
        unread: s.unread + 1,
      }));
      setActionError(toApiError(err));
    }
  }, []);

  /** Resolves to how many were unread, or null when the server refused (the list is then read again). */
  const markAllRead = useCallback(async (): Promise<number | null> => {
    generation.current++;
    setActionError(null);
    setState((s) => ({ ...s, items: s.items.map((n) => (n.read ? n : { ...n, read: true })), unread: 0 }));
    try {
      return await markAllNotificationsRead();
    } catch (err) {
      setActionError(toApiError(err));
      void refresh();
      return null;
    }
  }, [refresh]);

  return { ...state, actionError, refresh, loadMore, markRead, markAllRead };
}
