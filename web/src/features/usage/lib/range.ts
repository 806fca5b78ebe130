export type RangePreset = '24h' | '7d' | '30d' | 'custom';

export const PRESETS: readonly { value: RangePreset; label: string; long: string }[] = [
  { value: '24h', label: '24 h', long: 'Last 24 hours' },
  { value: '7d', label: '7 d', long: 'Last 7 days' },
  { value: '30d', label: '30 d', long: 'Last 30 days' },
  { value: 'custom', label: 'Custom', long: 'Custom range' },
];

export const MAX_RANGE_DAYS = 400;
export const MAX_EXPORT_DAYS = 31;
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

export interface RangeSelection {
  preset: RangePreset;
  /** Custom range, local calendar days (yyyy-mm-dd), both inclusive. */
  fromDate?: string | undefined;
  toDate?: string | undefined;
}

export interface ResolvedRange {
  from: Date;
  to: Date;
  /** The chart granularity to ask for; undefined lets the server choose (hour up to 3 days, else day). */
  granularity: 'hour' | 'day' | undefined;
  /** Whether the CSV export accepts this range (at most 31 days). */
  exportable: boolean;
}

export function isPreset(value: string | null): value is RangePreset {
  return value === '24h' || value === '7d' || value === '30d' || value === 'custom';
}

function localDay(text: string | undefined): Date | null {
  const m = text ? /^(\d{4})-(\d{2})-(\d{2})$/.exec(text) : null;
  if (!m) return null;
  const d = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return Number.isNaN(d.getTime()) ? null : d;
}

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

export function toDateInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** Turns a selection into a concrete [from, to) range, or explains why the custom dates do not work. */
export function resolveRange(selection: RangeSelection, now: Date): ResolvedRange | { error: string } {
  const to = new Date(now);
  switch (selection.preset) {
    case '24h':
      return { from: new Date(now.getTime() - DAY), to, granularity: 'hour', exportable: true };
    case '7d':
      return { from: new Date(now.getTime() - 7 * DAY), to, granularity: 'hour', exportable: true };
    case '30d':
      return { from: new Date(now.getTime() - 30 * DAY), to, granularity: 'day', exportable: true };
    case 'custom': {
      const start = localDay(selection.fromDate);
      const endDay = localDay(selection.toDate);
      if (!start || !endDay) return { error: 'Pick a start and an end date.' };
      if (endDay < start) return { error: 'The end date is before the start date.' };
      if (start > now) return { error: 'The start date is in the future.' };
      const end = new Date(endDay);
      end.setDate(end.getDate() + 1);
      const until = end > now ? to : end;
      const span = until.getTime() - start.getTime();
      if (span > MAX_RANGE_DAYS * DAY) return { error: `Pick at most ${MAX_RANGE_DAYS} days.` };
      return {
        from: start,
        to: until,
        granularity: span <= 3 * DAY ? 'hour' : 'day',
        exportable: span <= MAX_EXPORT_DAYS * DAY + HOUR,
      };
    }
  }
}

export function describeRange(selection: RangeSelection): string {
  if (selection.preset !== 'custom') return PRESETS.find((p) => p.value === selection.preset)?.long ?? '';
  if (!selection.fromDate || !selection.toDate) return 'Custom range';
  return `${selection.fromDate} to ${selection.toDate}`;
}
