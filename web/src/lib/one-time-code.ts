/**
 * Normalises what a person types as a second factor: a 6-digit TOTP code (spaces allowed, as apps show
 * "123 456") or a recovery code like `abcde-fghjk` (case-insensitive).
 */
export function normaliseCode(raw: string): string {
  const compact = raw.replace(/\s+/g, '');
  return /^\d+$/.test(compact) ? compact : compact.toLowerCase();
}

export function codeError(code: string, allowRecovery: boolean): string | undefined {
  if (!code) return allowRecovery ? 'Enter the code from your authenticator app, or a recovery code.' : 'Enter the 6-digit code from your authenticator app.';
  if (/^\d+$/.test(code)) return code.length === 6 ? undefined : 'Authenticator codes have 6 digits.';
  if (!allowRecovery) return 'Enter the 6 digits shown in your authenticator app.';
  return undefined;
}
