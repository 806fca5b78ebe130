import { formatNumber } from '@/lib/format';

/** "26–50 of 312" with Previous / Next; the range is announced when it changes. */
export function Pagination({
  page,
  pageSize,
  total,
  noun,
  onPage,
}: {
  page: number;
  pageSize: number;
  total: number;
  /** Plural, e.g. "users". */
  noun: string;
  onPage: (page: number) => void;
}) {
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const first = total === 0 ? 0 : (page - 1) * pageSize + 1;
  const last = Math.min(total, page * pageSize);
  const canBack = page > 1;
  const canForward = page < pages;
  return (
    <nav className="pagination" aria-label={`Pages of ${noun}`}>
      <p className="pagination__range small" role="status" aria-live="polite">
        {total === 0 ? `No ${noun}` : `${formatNumber(first)}–${formatNumber(last)} of ${formatNumber(total)} ${noun}`}
        {pages > 1 && <span className="muted"> · page {formatNumber(page)} of {formatNumber(pages)}</span>}
      </p>
      {pages > 1 && (
        <div className="pagination__buttons">
          <button
            type="button"
            className="btn btn--secondary btn--sm"
            aria-disabled={!canBack || undefined}
            onClick={() => canBack && onPage(page - 1)}
          >
            Previous
          </button>
          <button
            type="button"
            className="btn btn--secondary btn--sm"
            aria-disabled={!canForward || undefined}
            onClick={() => canForward && onPage(page + 1)}
          >
            Next
          </button>
        </div>
      )}
    </nav>
  );
}
