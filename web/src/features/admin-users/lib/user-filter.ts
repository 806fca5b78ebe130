// The users list's filters live in the query string, so a filtered list (and an open user) can be linked to.

export const USERS_PAGE_SIZE = 25;

export const STATUSES = ['active', 'suspended', 'deleted'] as const;
export const ROLES = ['USER', 'ADMIN'] as const;
export const VERIFIED = ['true', 'false'] as const;

export interface UserFilter {
  /** Email, name or user id. */
  q: string;
  status: '' | (typeof STATUSES)[number];
  role: '' | (typeof ROLES)[number];
  /** A plan slug ("free" matches users without a subscription). */
  plan: string;
  verified: '' | (typeof VERIFIED)[number];
  page: number;
}

export const NO_FILTER: UserFilter = { q: '', status: '', role: '', plan: '', verified: '', page: 1 };

function oneOf<T extends string>(value: string | null, allowed: readonly T[]): T | '' {
  return value !== null && (allowed as readonly string[]).includes(value) ? (value as T) : '';
}

export function filterFromParams(params: URLSearchParams): UserFilter {
  const page = Number(params.get('page'));
  return {
    q: (params.get('q') ?? '').slice(0, 200),
    status: oneOf(params.get('status'), STATUSES),
    role: oneOf(params.get('role'), ROLES),
    plan: (params.get('plan') ?? '').slice(0, 64),
    verified: oneOf(params.get('verified'), VERIFIED),
    page: Number.isInteger(page) && page >= 1 && page <= 100_000 ? page : 1,
  };
}

/** The request's query: only what is set (page 1 is the default). */
export function userQuery(filter: UserFilter): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  const q = filter.q.trim();
  if (q) out.q = q;
  if (filter.status) out.status = filter.status;
  if (filter.role) out.role = filter.role;
  if (filter.plan) out.plan = filter.plan;
  if (filter.verified) out.verified = filter.verified;
  if (filter.page > 1) out.page = filter.page;
  return out;
}

/** Whether anything narrows the list (the search or a filter). */
export function isFiltered(filter: UserFilter): boolean {
  return Boolean(filter.q.trim() || filter.status || filter.role || filter.plan || filter.verified);
}
