import type { ApiKeyAllowance } from '@/types';

// Client-side checks mirroring the keys contract (the server stays the authority).

export const NAME_MAX = 100;
export const METADATA_MAX_BYTES = 4096;
export const RATE_LIMIT_MAX = 1_000_000;
export const GRACE_MAX_HOURS = 720;
export const GRACE_DEFAULT_HOURS = 24;
const MAX_EXPIRY_YEARS = 5;

export function nameError(value: string): string | undefined {
  const v = value.trim();
  if (!v) return 'Give the key a name, e.g. "Production server".';
  if (v.length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return undefined;
}

export type MetadataResult = { ok: true; value: Record<string, unknown> | undefined } | { ok: false; error: string };

/** Empty → no metadata. Otherwise a JSON object of at most 4 KiB. */
export function parseMetadata(text: string): MetadataResult {
  const t = text.trim();
  if (!t) return { ok: true, value: undefined };
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message.replace(/^JSON\.parse: /, '') : 'invalid JSON';
    return { ok: false, error: `This is not valid JSON (${reason}).` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'Metadata must be a JSON object, like {"customer": "acme"}.' };
  }
  const bytes = new TextEncoder().encode(JSON.stringify(parsed)).length;
  if (bytes > METADATA_MAX_BYTES) {
    return { ok: false, error: `Metadata is ${bytes.toLocaleString()} bytes; the limit is 4 KiB (${METADATA_MAX_BYTES.toLocaleString()} bytes).` };
  }
  return { ok: true, value: parsed as Record<string, unknown> };
}

/** An optional whole number within [min, max]; empty → undefined. */
export function parseWholeNumber(text: string): number | undefined | null {
  const t = text.trim();
  if (!t) return undefined;
  if (!/^\d+$/.test(t)) return null;
  return Number(t);
}

export function rateLimitError(text: string): string | undefined {
  const n = parseWholeNumber(text);
  if (n === undefined) return undefined;
  if (n === null || n < 1 || n > RATE_LIMIT_MAX) return `Enter a whole number from 1 to ${RATE_LIMIT_MAX.toLocaleString()}, or leave it empty.`;
  return undefined;
}

export function graceError(text: string): string | undefined {
  const n = parseWholeNumber(text);
  if (n === undefined) return 'Enter a number of hours (0 to revoke the old key at once).';
  if (n === null || n > GRACE_MAX_HOURS) return `Enter whole hours from 0 to ${GRACE_MAX_HOURS} (30 days).`;
  return undefined;
}

export const EXPIRY_PRESETS = [
  { value: 'never', label: 'Never', days: null },
  { value: '7', label: 'In 7 days', days: 7 },
  { value: '30', label: 'In 30 days', days: 30 },
  { value: '90', label: 'In 90 days', days: 90 },
  { value: '365', label: 'In 1 year', days: 365 },
  { value: 'custom', label: 'On a date…', days: null },
] as const;

export type ExpiryChoice = (typeof EXPIRY_PRESETS)[number]['value'];

function pad(n: number): string {
  return String(n).padStart(2, '0');
}

/** yyyy-mm-dd of a local date, for `<input type="date">` bounds. */
export function localDateInput(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** The bounds a custom expiry date may take: tomorrow … 5 years ahead (less a day, so the end of that day fits). */
export function expiryBounds(now: Date = new Date()): { min: string; max: string } {
  const min = new Date(now);
  min.setDate(min.getDate() + 1);
  const max = new Date(now);
  max.setFullYear(max.getFullYear() + MAX_EXPIRY_YEARS);
  max.setDate(max.getDate() - 1);
  return { min: localDateInput(min), max: localDateInput(max) };
}

/**
 * The `expiresAt` to send: a preset counts from now; a custom date means "usable through that day" (its end,
 * local time). `{ error }` when the date is missing or out of range.
 */
export function expiresAtFor(choice: ExpiryChoice, customDate: string, now: Date = new Date()): { value?: string; error?: string } {
  if (choice === 'never') return {};
  if (choice !== 'custom') {
    const days = Number(choice);
    return { value: new Date(now.getTime() + days * 86_400_000).toISOString() };
  }
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(customDate);
  if (!m) return { error: 'Pick the last day the key should work.' };
  const end = new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3]), 23, 59, 59);
  const { min, max } = expiryBounds(now);
  if (customDate < min) return { error: 'Pick a date after today.' };
  if (customDate > max) return { error: 'Keys can expire at most 5 years from now.' };
  return { value: end.toISOString() };
}

/** What to do when the plan's active-key allowance is used up. */
export function limitMessage(allowance: ApiKeyAllowance | undefined): string {
  const max = allowance?.max;
  const count = typeof max === 'number' ? `${max} active key${max === 1 ? '' : 's'}` : 'only so many active keys';
  return `Your plan allows ${count}. Revoke or disable a key to make room, or upgrade your plan.`;
}
