// Client-side checks that mirror the contract, so most mistakes are caught before a round trip.
// The server stays the authority: its `errors[]` are shown the same way.

export const PASSWORD_MIN_LENGTH = 12;

export function looksLikeEmail(value: string): boolean {
  return /^[^\s@]+@[^\s@]+\.[^\s@]+$/.test(value.trim());
}

export function emailError(value: string): string | undefined {
  if (!value.trim()) return 'Enter your email address.';
  if (!looksLikeEmail(value)) return 'Enter an email address like name@example.com.';
  return undefined;
}

export function newPasswordError(value: string): string | undefined {
  if (!value) return 'Choose a password.';
  if (value.length < PASSWORD_MIN_LENGTH) return `Use at least ${PASSWORD_MIN_LENGTH} characters.`;
  return undefined;
}

export function requiredError(value: string, message: string): string | undefined {
  return value.trim() ? undefined : message;
}

/** Drops the undefined entries so "no errors" is an empty object. */
export function compact<F extends string>(errors: Partial<Record<F, string | undefined>>): Partial<Record<F, string>> {
  const out: Partial<Record<F, string>> = {};
  for (const [key, value] of Object.entries(errors) as [F, string | undefined][]) {
    if (value) out[key] = value;
  }
  return out;
}
