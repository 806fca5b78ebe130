import { formatDateTime, formatRelative } from '@/lib/format';

/** "5 minutes ago", with the exact time on hover and in `dateTime`; `empty` when there is no time. */
export function RelativeTime({ iso, empty = 'Never' }: { iso: string | null | undefined; empty?: string }) {
  if (!iso) return <span className="muted">{empty}</span>;
  return (
    <time dateTime={iso} title={formatDateTime(iso)}>
      {formatRelative(iso)}
    </time>
  );
}
