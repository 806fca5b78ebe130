import { useCallback, useEffect, useRef, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useDebouncedValue } from './use-debounced-value';

/**
 * A filtered list's state in the query string, so the view can be linked to. `update` replaces the history entry
 * and keeps focus where it is (on the filter being changed); changing anything but `page` goes back to page 1.
 */
export function useListQuery() {
  const [params, setParams] = useSearchParams();
  const update = useCallback(
    (changes: Record<string, string | undefined>) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev);
          for (const [k, v] of Object.entries(changes)) {
            if (!v || (k === 'page' && v === '1')) next.delete(k);
            else next.set(k, v);
          }
          if (!('page' in changes)) next.delete('page');
          return next;
        },
        { replace: true, state: { keepFocus: true } },
      );
    },
    [setParams],
  );
  const query = params.toString();
  return { params, update, search: query ? `?${query}` : '' };
}

/**
 * A search box over a URL parameter: the text as typed, written (trimmed) through `commit` once typing pauses, and
 * replaced when the URL's value changes from elsewhere (a Clear button, a link).
 */
export function useSearchBox(current: string, commit: (q: string) => void, delayMs = 300): [string, (text: string) => void] {
  const [text, setText] = useState(current);
  const debounced = useDebouncedValue(text, delayMs);
  const written = useRef(current);
  const commitRef = useRef(commit);
  commitRef.current = commit;

  useEffect(() => {
    const next = debounced.trim();
    if (next === written.current) return;
    written.current = next;
    commitRef.current(next);
  }, [debounced]);

  useEffect(() => {
    if (current === written.current) return;
    written.current = current;
    setText(current);
  }, [current]);

  return [text, setText];
}
