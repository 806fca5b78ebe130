const DEFAULT_AFTER_SIGN_IN = '/dashboard';
/** Pages that make no sense to return to after signing in. */
const NO_RETURN = ['/login', '/register', '/forgot-password', '/reset-password'];

/**
 * The page to open after signing in, from `?next=`. Only same-site paths are accepted: an absolute URL,
 * a protocol-relative `//host` or a backslash trick would turn the sign-in page into an open redirect.
 */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.includes('\\')) return DEFAULT_AFTER_SIGN_IN;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f]/.test(next)) return DEFAULT_AFTER_SIGN_IN;
  const path = next.split(/[?#]/, 1)[0] ?? '';
  if (NO_RETURN.includes(path)) return DEFAULT_AFTER_SIGN_IN;
  return next;
}

/** `/login?next=<where the user was going>`. */
export function loginPathFor(location: { pathname: string; search: string; hash: string }): string {
  const next = `${location.pathname}${location.search}${location.hash}`;
  return `/login?next=${encodeURIComponent(next)}`;
}
