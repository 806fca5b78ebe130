const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const dateOnly = new Intl.DateTimeFormat(undefined, { dateStyle: 'long' });
const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });

function parse(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

export function formatDateTime(iso: string): string {
  const d = parse(iso);
  return d ? dateTime.format(d) : iso;
}

export function formatDate(iso: string): string {
  const d = parse(iso);
  return d ? dateOnly.format(d) : iso;
}

const STEPS: [Intl.RelativeTimeFormatUnit, number][] = [
  ['second', 60],
  ['minute', 60],
  ['hour', 24],
  ['day', 30],
  ['month', 12],
  ['year', Infinity],
];

/** "just now", "5 minutes ago", "yesterday". */
export function formatRelative(iso: string, now: number = Date.now()): string {
  const d = parse(iso);
  if (!d) return iso;
  let value = (d.getTime() - now) / 1000;
  if (Math.abs(value) < 45) return 'just now';
  for (const [unit, size] of STEPS) {
    if (Math.abs(value) < size) return relative.format(Math.round(value), unit);
    value /= size;
  }
  return dateTime.format(d);
}

const integer = new Intl.NumberFormat(undefined, { maximumFractionDigits: 0 });
const compactNumber = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });

/** 12,345 */
export function formatNumber(value: number): string {
  return integer.format(value);
}

/** 12.3K: for chart axes where space is short. */
export function formatCompact(value: number): string {
  return compactNumber.format(value);
}

/** A ratio (0.034) as a percentage: "3.4%"; small non-zero ratios keep two decimals ("0.05%"). */
export function formatPercent(ratio: number): string {
  const pct = ratio * 100;
  if (pct === 0) return '0%';
  const digits = pct < 1 ? 2 : pct < 10 ? 1 : 0;
  return `${pct.toFixed(digits).replace(/\.0+$/, '')}%`;
}

/** Milliseconds, "—" when unknown: "0.42 ms", "12.3 ms", "1,204 ms". */
export function formatMs(value: number | null | undefined): string {
  if (value === null || value === undefined || Number.isNaN(value)) return '—';
  if (value < 1) return `${value.toFixed(2)} ms`;
  if (value < 100) return `${value.toFixed(1).replace(/\.0$/, '')} ms`;
  return `${integer.format(value)} ms`;
}
