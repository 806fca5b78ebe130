import { useEffect, useRef, type RefObject } from 'react';
import { useLocation } from 'react-router-dom';

/** How long to wait for a `#hash` target to appear (lazy route chunk, data fetch) before giving up. */
const TARGET_TIMEOUT_MS = 10_000;

function targetFor(hash: string): HTMLElement | null {
  if (hash.length < 2) return null;
  let id = hash.slice(1);
  try {
    id = decodeURIComponent(id);
  } catch {
    // Keep the raw fragment if it is not valid percent-encoding.
  }
  return document.getElementById(id);
}

function reveal(el: HTMLElement) {
  // jsdom has no scrollIntoView.
  el.scrollIntoView?.({ block: 'start' });
  if (el.tabIndex >= 0 || el.hasAttribute('tabindex')) el.focus({ preventScroll: true });
}

/**
 * Scroll and focus management for client-side navigation:
 * - a URL with a `#fragment` scrolls to the element with that id, waiting for it to be rendered
 *   (the browser's own fragment scroll runs before a lazy route or its data exists);
 * - any other navigation moves focus to `main` (so screen readers announce the new page) and scrolls to the top,
 *   unless its state says `{ keepFocus: true }` (a filter written to the query string, a drawer opened over a list:
 *   the page stays where it is and focus stays with the control the user is on).
 */
export function useScrollOnNavigate(mainRef: RefObject<HTMLElement>): void {
  const { pathname, hash, key, state } = useLocation();
  const keepFocus = typeof state === 'object' && state !== null && (state as { keepFocus?: unknown }).keepFocus === true;
  const lastKey = useRef<string | null>(null);

  useEffect(() => {
    // StrictMode re-runs effects with the same location: that is not a navigation.
    const navigated = lastKey.current !== null && lastKey.current !== key;
    lastKey.current = key;

    if (hash.length < 2) {
      if (navigated && !keepFocus) {
        mainRef.current?.focus({ preventScroll: true });
        window.scrollTo({ top: 0 });
      }
      return undefined;
    }

    const found = targetFor(hash);
    if (found) {
      reveal(found);
      return undefined;
    }

    if (navigated) mainRef.current?.focus({ preventScroll: true });
    const observer = new MutationObserver(() => {
      const el = targetFor(hash);
      if (!el) return;
      stop();
      reveal(el);
    });
    const timer = window.setTimeout(() => stop(), TARGET_TIMEOUT_MS);
    function stop() {
      observer.disconnect();
      window.clearTimeout(timer);
    }
    observer.observe(mainRef.current ?? document.body, { childList: true, subtree: true });
    return stop;
    // `keepFocus` belongs to the location identified by `key`.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [pathname, hash, key, mainRef]);
}
