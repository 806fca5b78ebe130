/**
 * Leaves the app for a hosted page (Stripe Checkout, the billing portal). Only http(s) URLs are followed, so a
 * malformed answer can never turn into a `javascript:` navigation. Returns false when the URL was refused.
 */
export function redirectTo(url: string): boolean {
  let parsed: URL;
  try {
    parsed = new URL(url, window.location.href);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') return false;
  window.location.assign(parsed.toString());
  return true;
}
