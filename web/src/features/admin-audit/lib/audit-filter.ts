// The audit log's filters, kept in the query string (so a filtered view can be linked to, e.g. from a user's details).

export const AUDIT_PAGE_SIZE = 50;

export interface AuditFilter {
  /** A user id: what they did (or an admin did as them). */
  actorId: string;
  organizationId: string;
  /** Exact ("admin.user.suspended") or a prefix ending in "." ("admin.user."). */
  action: string;
  /** yyyy-mm-dd, local dates; both inclusive. */
  from: string;
  to: string;
}

export type AuditFilterField = keyof AuditFilter;

export const NO_FILTER: AuditFilter = { actorId: '', organizationId: '', action: '', from: '', to: '' };

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

export function filterFromParams(params: URLSearchParams): AuditFilter {
  const get = (k: string) => (params.get(k) ?? '').trim();
  return {
    actorId: get('actorId'),
    organizationId: get('organizationId'),
    action: get('action'),
    from: DATE.test(get('from')) ? get('from') : '',
    to: DATE.test(get('to')) ? get('to') : '',
  };
}

export function isFiltered(f: AuditFilter): boolean {
  return Object.values(f).some((v) => v !== '');
}

/** Client checks mirroring the server's (it answers 422 for the same mistakes). */
export function filterErrors(f: AuditFilter): Partial<Record<AuditFilterField, string>> {
  const errors: Partial<Record<AuditFilterField, string>> = {};
  if (f.actorId && !UUID.test(f.actorId)) errors.actorId = 'Enter a user id (a UUID), e.g. from the Users page.';
  if (f.organizationId && !UUID.test(f.organizationId)) errors.organizationId = 'Enter an organization id (a UUID).';
  if (f.action.length > 100) errors.action = 'Use at most 100 characters.';
  else if (f.action && !/^[a-z0-9_.]+$/i.test(f.action)) errors.action = 'Actions look like admin.user.suspended; end with a dot for every action under it.';
  if (f.from && f.to && f.from > f.to) errors.to = 'Pick a day on or after the first day.';
  return errors;
}

/** Local midnight of a yyyy-mm-dd date, as an RFC 3339 instant; `dayAfter` for an exclusive end. */
export function dayStart(date: string, dayAfter = false): string {
  const [y, m, d] = date.split('-').map(Number);
  return new Date(y ?? 1970, (m ?? 1) - 1, (d ?? 1) + (dayAfter ? 1 : 0)).toISOString();
}

/** The request's query (the same for the list and the CSV export): dates become instants, `to` inclusive. */
export function auditQuery(f: AuditFilter): Record<string, string> {
  const out: Record<string, string> = {};
  if (f.actorId) out.actorId = f.actorId.toLowerCase();
  if (f.organizationId) out.organizationId = f.organizationId.toLowerCase();
  if (f.action) out.action = f.action;
  if (f.from) out.from = dayStart(f.from);
  if (f.to) out.to = dayStart(f.to, true);
  return out;
}
