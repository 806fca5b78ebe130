const hourFmt = new Intl.DateTimeFormat(undefined, { hour: 'numeric', minute: '2-digit' });
const dayHourFmt = new Intl.DateTimeFormat(undefined, { weekday: 'short', hour: 'numeric' });
const dayFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric' });
const fullHourFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const fullDayFmt = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeZone: 'UTC' });
const dayUtcFmt = new Intl.DateTimeFormat(undefined, { month: 'short', day: 'numeric', timeZone: 'UTC' });

/** Axis tick for a bucket start: "14:00" within a day of hourly points, "Tue 14" over several days, "Jun 5" for days. */
export function tickLabel(iso: string, granularity: 'hour' | 'day', spanHours: number): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  if (granularity === 'day') return dayUtcFmt.format(d);
  return spanHours <= 36 ? hourFmt.format(d) : dayHourFmt.format(d);
}

/** Tooltip / table label for a bucket. Day buckets are UTC days, so they are shown as such. */
export function bucketLabel(iso: string, granularity: 'hour' | 'day'): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return granularity === 'day' ? `${fullDayFmt.format(d)} (UTC)` : fullHourFmt.format(d);
}

export function shortDay(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : dayFmt.format(d);
}
