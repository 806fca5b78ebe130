// Build-time configuration. VITE_API_BASE_URL points the dashboard at another origin;
// empty (the default) means the same origin that served the page.
function trimTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

export const env = {
  apiBaseUrl: trimTrailingSlash(import.meta.env.VITE_API_BASE_URL ?? ''),
  isDev: import.meta.env.DEV,
} as const;
