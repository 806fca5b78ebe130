// The admin analytics count whole UTC days: a range is two UTC dates (yyyy-mm-dd), both included, at most 366 days
// (what GET /api/admin/analytics accepts).

export type AnalyticsPreset = '7d' | '30d' | '90d' | 'custom';

export const ANALYTICS_PRESETS: readonly { value: AnalyticsPreset; label: string; long: string; days: number }[] = [
  { value: '7d', label: '7 d', long: 'Last 7 days', days: 7 },
  { value: '30d', label: '30 d', long: 'Last 30 days', days: 30 },
  { value: '90d', label: '90 d', long: 'Last 90 days', days: 90 },
  { value: 'custom', label: 'Custom', long: 'Custom range', days: 0 },
];

export const DEFAULT_PRESET: AnalyticsPreset = '30d';
export const MAX_RANGE_DAYS = 366;

const DAY = 86_400_000;
const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

/** First and last UTC day of the range, both included. */
export interface AnalyticsRange {
  from: string;
  to: string;
}

export interface AnalyticsSelection {
  preset: AnalyticsPreset;
  fromDate?: string | undefined;
  toDate?: string | undefined;
}

export function isAnalyticsPreset(value: string | null): value is AnalyticsPreset {
  return value === '7d' || value === '30d' || value === '90d' || value === 'custom';
}

/** The UTC calendar day of an instant: 2026-03-15T23:30:00-05:00 → "2026-03-16". */
export function utcDay(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/** Midnight UTC of a "yyyy-mm-dd" day, or null for anything that is not a real date. */
export function dayMs(day: string | undefined): number | null {
  const m = day ? DATE_RE.exec(day) : null;
  if (!m) return null;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]));
  return utcDay(new Date(ms)) === day ? ms : null;
}

export function addDays(day: string, n: number): string {
  const ms = dayMs(day);
  if (ms === null) throw new RangeError(`Not a date: ${day}`);
  return utcDay(new Date(ms + n * DAY));
}

/** Days in [from, to], both included. */
export function rangeDays(range: AnalyticsRange): number {
  const a = dayMs(range.from);
  const b = dayMs(range.to);
  return a === null || b === null ? 0 : Math.round((b - a) / DAY) + 1;
}

/** The last `days` UTC days up to and including today. */
export function presetRange(preset: Exclude<AnalyticsPreset, 'custom'>, now: Date): AnalyticsRange {
  const days = ANALYTICS_PRESETS.find((p) => p.value === preset)?.days ?? 30;
  const to = utcDay(now);
  return { from: addDays(to, -(days - 1)), to };
}

/** Custom dates as a range, or why they do not work. */
export function customRange(fromDate: string | undefined, toDate: string | undefined): AnalyticsRange | { error: string } {
  const from = dayMs(fromDate);
  const to = dayMs(toDate);
  if (from === null || to === null) return { error: 'Pick a start and an end date.' };
  if (to < from) return { error: 'The end date is before the start date.' };
  const range = { from: fromDate!, to: toDate! };
  if (rangeDays(range) > MAX_RANGE_DAYS) return { error: `Pick at most ${MAX_RANGE_DAYS} days.` };
  return range;
}

/** The range a selection stands for; an unusable custom selection falls back to the default preset. */
export function resolveSelection(selection: AnalyticsSelection, now: Date): AnalyticsRange {
  if (selection.preset !== 'custom') return presetRange(selection.preset, now);
  const r = customRange(selection.fromDate, selection.toDate);
  return 'error' in r ? presetRange(DEFAULT_PRESET as Exclude<AnalyticsPreset, 'custom'>, now) : r;
}

const dayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const shortDayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });
const monthFmt = new Intl.DateTimeFormat(undefined, { month: 'short', year: 'numeric', timeZone: 'UTC' });

/** "Mar 15, 2026" (a UTC day). */
export function formatDay(day: string): string {
  const ms = dayMs(day);
  return ms === null ? day : dayFmt.format(ms);
}

/** "Mar 15": chart axes. */
export function formatShortDay(day: string): string {
  const ms = dayMs(day);
  return ms === null ? day : shortDayFmt.format(ms);
}

/** "2026-03" → "Mar 2026". */
export function formatMonth(month: string): string {
  const m = /^(\d{4})-(\d{2})$/.exec(month);
  return m ? monthFmt.format(Date.UTC(Number(m[1]), Number(m[2]) - 1, 1)) : month;
}

/** "Mar 1, 2026 – Mar 15, 2026 (UTC), 15 days". */
export function describeRange(range: AnalyticsRange): string {
  const days = rangeDays(range);
  const span = range.from === range.to ? formatDay(range.from) : `${formatDay(range.from)} – ${formatDay(range.to)}`;
  return `${span} (UTC), ${days} ${days === 1 ? 'day' : 'days'}`;
}
