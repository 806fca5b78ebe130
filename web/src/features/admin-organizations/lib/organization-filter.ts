// The organizations list's filters live in the query string, so a filtered list (and an open organization) can be
// linked to.

export const ORGANIZATIONS_PAGE_SIZE = 25;

export const STATUSES = ['active', 'suspended', 'deleted'] as const;

export interface OrganizationFilter {
  /** Name, organization id or the owner's email. */
  q: string;
  status: '' | (typeof STATUSES)[number];
  /** A plan slug ("free" matches organizations without a subscription). */
  plan: string;
  page: number;
}

export const NO_FILTER: OrganizationFilter = { q: '', status: '', plan: '', page: 1 };

export function filterFromParams(params: URLSearchParams): OrganizationFilter {
  const page = Number(params.get('page'));
  const status = params.get('status');
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    status: status !== null && (STATUSES as readonly string[]).includes(status) ? (status as OrganizationFilter['status']) : '',
    plan: (params.get('plan') ?? '').slice(0, 64),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

/** The request's query: only what is set. */
export function organizationQuery(filter: OrganizationFilter): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const q = filter.q.trim();
  if (q) out.q = q;
  if (filter.status) out.status = filter.status;
  if (filter.plan) out.plan = filter.plan;
  if (filter.page > 1) out.page = filter.page;
  return out;
}

export function isFiltered(filter: OrganizationFilter): boolean {
  return Boolean(filter.q.trim() || filter.status || filter.plan);
}
