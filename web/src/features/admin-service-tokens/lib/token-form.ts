export const NAME_MAX = 100;

/** The scopes a service token can have (the server knows only this one so far). */
export const SCOPES = [{ value: 'keys:verify', label: 'keys:verify', text: 'Call POST /v1/keys/verify for any key, as a trusted backend.' }] as const;

/** yyyy-mm-dd of a local date, for `<input type="date">`. */
export function localDate(d: Date): string {
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, '0')}-${String(d.getDate()).padStart(2, '0')}`;
}

/** The instant a token chosen to expire "on" a local date stops working: the end of that day. */
export function expiryInstant(date: string): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + 1).toISOString();
}

export function nameError(name: string): string | undefined {
  const n = name.trim();
  if (!n) return 'Name the token after what uses it, e.g. "Orders service".';
  if (n.length > NAME_MAX) return `Use at most ${NAME_MAX} characters.`;
  return undefined;
}

/** Empty is fine (never expires); otherwise a date from tomorrow on. */
export function expiryError(date: string, today: Date = new Date()): string | undefined {
  if (!date) return undefined;
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return 'Pick a date, or leave it empty for no expiry.';
  if (date <= localDate(today)) return 'Pick a day after today, or leave it empty for no expiry.';
  return undefined;
}
