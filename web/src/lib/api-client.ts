import axios, { AxiosError, AxiosHeaders, type AxiosInstance, type InternalAxiosRequestConfig } from 'axios';
import { env } from '@/config/env';
import { useAuthStore } from '@/stores/auth-store';
import { useOrganizationStore } from '@/stores/organization-store';
import type { AuthResult } from '@/types';

export interface FieldError {
  field: string;
  message: string;
}

/** Every failed request rejects with this, built from an RFC 9457 problem document when there is one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly status: number;
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  readonly requestId: string | undefined;
  readonly errors: FieldError[];
  readonly type: string | undefined;
  /** Seconds from a `Retry-After` header (429, 503), when the server sent one. */
  readonly retryAfter: number | undefined;

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail?: string | undefined;
    requestId?: string | undefined;
    errors?: FieldError[];
    type?: string | undefined;
    retryAfter?: number | undefined;
    cause?: unknown;
  }) {
    super(init.detail ? `${init.title}: ${init.detail}` : init.title, { cause: init.cause });
    this.status = init.status;
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.requestId = init.requestId;
    this.errors = init.errors ?? [];
    this.type = init.type;
    this.retryAfter = init.retryAfter;
  }

  /** No HTTP response at all (offline, DNS, CORS, timeout). */
  get isNetworkError(): boolean {
    return this.status === 0;
  }
}

export function isApiError(value: unknown): value is ApiError {
  return value instanceof ApiError;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function str(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function parseBody(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data) as unknown;
  } catch {
    return data;
  }
}

function parseFieldErrors(value: unknown): FieldError[] {
  if (!Array.isArray(value)) return [];
  return value.filter(isRecord).map((e) => ({
    field: typeof e.field === 'string' ? e.field : '',
    message: typeof e.message === 'string' ? e.message : String(e.message ?? ''),
  }));
}

function headerValue(headers: unknown, name: string): string | undefined {
  if (headers instanceof AxiosHeaders) return str(headers.get(name)?.toString());
  if (isRecord(headers)) return str(headers[name.toLowerCase()]) ?? str(headers[name]);
  return undefined;
}

function retryAfterSeconds(headers: unknown): number | undefined {
  const value = headerValue(headers, 'retry-after');
  if (!value) return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, Math.ceil((date - Date.now()) / 1000));
}

function looksLikeProblem(contentType: string | undefined, body: unknown): body is Record<string, unknown> {
  if (!isRecord(body)) return false;
  if (contentType?.includes('application/problem+json')) return true;
  // Some proxies rewrite the content type; accept the shape too.
  return typeof body.title === 'string' && (typeof body.code === 'string' || typeof body.type === 'string');
}

function statusTitle(status: number): string {
  if (status >= 500) return 'Server error';
  if (status === 404) return 'Not found';
  if (status === 401) return 'Not signed in';
  if (status === 403) return 'Not allowed';
  if (status === 429) return 'Too many requests';
  return 'Request failed';
}

/** Normalises anything a request can throw into an ApiError. Exported for tests and non-Axios callers. */
export function toApiError(error: unknown): ApiError {
  if (isApiError(error)) return error;

  if (axios.isCancel(error)) {
    return new ApiError({ status: 0, code: 'CANCELED', title: 'Request canceled', cause: error });
  }

  if (error instanceof AxiosError) {
    const response = error.response;
    if (!response) {
      const timedOut = error.code === AxiosError.ECONNABORTED || error.code === AxiosError.ETIMEDOUT;
      return new ApiError({
        status: 0,
        code: timedOut ? 'TIMEOUT' : 'NETWORK_ERROR',
        title: timedOut ? 'The server took too long to answer' : 'Cannot reach the server',
        detail: timedOut ? undefined : 'Check your connection and try again.',
        cause: error,
      });
    }

    const body = parseBody(response.data);
    const contentType = headerValue(response.headers, 'content-type');
    const headerRequestId = headerValue(response.headers, 'x-request-id');
    const retryAfter = retryAfterSeconds(response.headers);

    if (looksLikeProblem(contentType, body)) {
      return new ApiError({
        status: typeof body.status === 'number' ? body.status : response.status,
        code: str(body.code) ?? `HTTP_${response.status}`,
        title: str(body.title) ?? statusTitle(response.status),
        detail: str(body.detail),
        requestId: str(body.requestId) ?? headerRequestId,
        errors: parseFieldErrors(body.errors),
        type: str(body.type),
        retryAfter,
        cause: error,
      });
    }

    return new ApiError({
      status: response.status,
      code: `HTTP_${response.status}`,
      title: statusTitle(response.status),
      detail: typeof body === 'string' && body.length > 0 && body.length <= 300 ? body : str(response.statusText),
      requestId: headerRequestId,
      retryAfter,
      cause: error,
    });
  }

  return new ApiError({
    status: 0,
    code: 'UNKNOWN',
    title: 'Something went wrong',
    detail: error instanceof Error ? error.message : undefined,
    cause: error,
  });
}

function baseClient(baseURL: string): AxiosInstance {
  return axios.create({
    baseURL,
    timeout: 15_000,
    headers: { Accept: 'application/json, application/problem+json' },
    // The refresh token is an HttpOnly cookie; send it also when the API is on another origin.
    withCredentials: true,
  });
}

function normaliseErrors(client: AxiosInstance): AxiosInstance {
  client.interceptors.response.use(
    (response) => response,
    (error: unknown) => Promise.reject(toApiError(error)),
  );
  return client;
}

/** A plain client: no credentials attached, every failure an ApiError. */
export function createApiClient(baseURL: string = env.apiBaseUrl): AxiosInstance {
  return normaliseErrors(baseClient(baseURL));
}

/** How a session-aware client reads and updates the signed-in state (the auth store in the app). */
export interface SessionHooks {
  getAccessToken: () => string | null;
  /** A refresh succeeded: keep the new access token (and the user it came with). */
  onRefreshed: (result: AuthResult) => void;
  /** The refresh token was refused: the session is over. */
  onSessionExpired: () => void;
  /**
   * The active team organization, sent as `X-Organization-Id` on every `/api` request; null (or no hook): none,
   * so the server acts for the caller's personal organization.
   */
  getOrganizationId?: () => string | null;
  /**
   * A request that named organization `id` was answered 404 `ORGANIZATION_NOT_FOUND` or 400
   * `INVALID_ORGANIZATION_ID`: the caller is not (or no longer) a member of it.
   */
  onOrganizationGone?: (id: string) => void;
  /**
   * "View as customer": the customer's read-only access token while an administrator views their account, sent
   * instead of the access token on every request except those about the administrator's own session or browser
   * (signing out, the refresh, error reports: see OWN_TOKEN_PATHS). null (or no hook): no view.
   */
  getImpersonationToken?: () => string | null;
  /**
   * A request sent with that token answered 401 (the view was ended elsewhere, its 15 minutes ran out, or the
   * administrator's session ended): the view is over. No refresh is tried: the refresh cookie is the
   * administrator's and cannot renew a view.
   */
  onImpersonationEnded?: (token: string) => void;
  /** A write sent with that token was refused with 403 `IMPERSONATION_READ_ONLY`. The error still reaches the caller. */
  onReadOnly?: () => void;
}

/** The request header that selects the organization a request acts for (docs/permissions.md). */
export const ORGANIZATION_HEADER = 'X-Organization-Id';

export interface SessionClient {
  client: AxiosInstance;
  /**
   * `POST /api/auth/refresh` (the refresh token travels in the HttpOnly cookie). Single-flight: callers that
   * arrive while a refresh is running share it, so one rotation serves every concurrent 401.
   * Resolves to the new access token.
   */
  refresh: () => Promise<string>;
}

interface SessionRequestConfig extends InternalAxiosRequestConfig {
  /** The access token this attempt carried (null: none). */
  _sentToken?: string | null;
  /** That token was a view-as-customer token. */
  _impersonated?: boolean;
  /** Set on the one retry after a refresh, so a second 401 is final. */
  _authRetried?: boolean;
}

const REFRESH_PATH = '/api/auth/refresh';
/**
 * Requests that keep the administrator's own token during a view as customer: signing out ends the administrator's
 * session (the refresh cookie names it), the refresh renews it, and an error report is about the administrator's
 * browser (and would be refused as a write with the customer's read-only token).
 */
const OWN_TOKEN_PATHS = new Set([REFRESH_PATH, '/api/auth/logout', '/api/client-errors']);
/** The one write a view-as-customer token may make; its 401 means "already over", which its caller handles. */
const IMPERSONATION_END_PATH = '/api/impersonation/end';

function pathOf(url: string | undefined): string {
  if (!url) return '';
  try {
    return new URL(url, 'http://client.invalid').pathname;
  } catch {
    return url;
  }
}

function isApiPath(url: string | undefined): boolean {
  return pathOf(url).startsWith('/api/');
}

/** The problem codes that mean "the organization this request named is not one of yours". */
const ORGANIZATION_GONE_CODES = new Set(['ORGANIZATION_NOT_FOUND', 'INVALID_ORGANIZATION_ID']);

/**
 * A 401 from the auth endpoints is an answer (wrong password, spent token), not an expired access token.
 * `logout-all` is the exception: it is authenticated with the access token like any user endpoint.
 */
function refreshesOn401(url: string | undefined): boolean {
  const path = pathOf(url);
  return !path.startsWith('/api/auth/') || path === '/api/auth/logout-all';
}

/** Refresh status codes that mean "this session is over" rather than "try again later". */
function endsSession(error: ApiError): boolean {
  return error.status === 400 || error.status === 401 || error.status === 403 || error.status === 422;
}

/** Serialises refreshes across tabs: two tabs rotating the same refresh token would look like token theft. */
async function withRefreshLock<T>(run: () => Promise<T>): Promise<T> {
  const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined;
  if (!locks) return run();
  return await locks.request('tollgate-session-refresh', run);
}

/**
 * A client that sends `Authorization: Bearer <access token>` and, when a request other than an auth endpoint
 * answers 401, refreshes the session once (shared by all concurrent 401s) and retries that request once.
 */
export function createSessionClient(hooks: SessionHooks, baseURL: string = env.apiBaseUrl): SessionClient {
  const client = baseClient(baseURL);
  let inflight: Promise<string> | null = null;

  const doRefresh = async (): Promise<string> => {
    try {
      // No body: the server reads the refresh token from the cookie.
      const response = await client.post<AuthResult>(REFRESH_PATH);
      hooks.onRefreshed(response.data);
      return response.data.accessToken;
    } catch (err) {
      const error = toApiError(err);
      if (endsSession(error)) hooks.onSessionExpired();
      throw error;
    }
  };

  const refresh = (): Promise<string> => {
    inflight ??= withRefreshLock(doRefresh).finally(() => {
      inflight = null;
    });
    return inflight;
  };

  client.interceptors.request.use((config: SessionRequestConfig) => {
    const impersonation = OWN_TOKEN_PATHS.has(pathOf(config.url)) ? null : (hooks.getImpersonationToken?.() ?? null);
    const token = impersonation ?? hooks.getAccessToken();
    config._sentToken = token;
    config._impersonated = impersonation !== null;
    if (token && pathOf(config.url) !== REFRESH_PATH) config.headers.set('Authorization', `Bearer ${token}`);
    else config.headers.delete('Authorization');
    // Read on every attempt (a retry after a refresh too), so a request always names the organization active now.
    const organization = hooks.getOrganizationId?.() ?? null;
    if (organization && isApiPath(config.url)) config.headers.set(ORGANIZATION_HEADER, organization);
    else config.headers.delete(ORGANIZATION_HEADER);
    return config;
  });

  client.interceptors.response.use(
    (response) => response,
    async (error: unknown) => {
      if (!(error instanceof AxiosError) || error.response?.status !== 401) throw error;
      const config = error.config as SessionRequestConfig | undefined;
      if (config?._impersonated) {
        if (config._sentToken && pathOf(config.url) !== IMPERSONATION_END_PATH) hooks.onImpersonationEnded?.(config._sentToken);
        throw error;
      }
      if (!config || config._authRetried || !refreshesOn401(config.url)) throw error;
      config._authRetried = true;
      // A request sent before another one's refresh finished: the new token is already here.
      const current = hooks.getAccessToken();
      if (!current || current === config._sentToken) {
        try {
          await refresh();
        } catch {
          throw error;
        }
      }
      return client.request(config);
    },
  );

  // The organization a request named is gone for this user (deleted, or they were removed): tell the app, which
  // falls back to the personal organization. The error still reaches the caller.
  client.interceptors.response.use(
    (response) => response,
    (error: unknown) => {
      if (error instanceof AxiosError && error.response && hooks.onOrganizationGone) {
        const sent = error.config?.headers?.get(ORGANIZATION_HEADER);
        const apiError = toApiError(error);
        if (typeof sent === 'string' && sent && ORGANIZATION_GONE_CODES.has(apiError.code)) hooks.onOrganizationGone(sent);
      }
      throw error;
    },
  );

  // A view as customer is read-only: tell the app (which says so where the view is shown); the error still reaches
  // the caller, whose own message says so too (lib/errors.ts).
  client.interceptors.response.use(
    (response) => response,
    (error: unknown) => {
      if (error instanceof AxiosError && error.response?.status === 403 && (error.config as SessionRequestConfig | undefined)?._impersonated) {
        if (toApiError(error).code === 'IMPERSONATION_READ_ONLY') hooks.onReadOnly?.();
      }
      throw error;
    },
  );

  normaliseErrors(client);
  return { client, refresh };
}

const session = createSessionClient({
  getAccessToken: () => useAuthStore.getState().accessToken,
  onRefreshed: (result) => useAuthStore.getState().signedIn(result),
  onSessionExpired: () => {
    const state = useAuthStore.getState();
    // At start-up there was no session to lose: nothing to tell the user.
    state.signedOut(state.status === 'authenticated' ? 'expired' : null);
  },
  getOrganizationId: () => useOrganizationStore.getState().activeId,
  onOrganizationGone: (id) => useOrganizationStore.getState().fallBack(id),
  getImpersonationToken: () => useAuthStore.getState().impersonation?.accessToken ?? null,
  onImpersonationEnded: (token) => useAuthStore.getState().stopImpersonation('revoked', token),
  onReadOnly: () => useAuthStore.getState().noteReadOnlyRefusal(),
});

/** The app's client: every feature's API calls go through it. */
export const apiClient = session.client;

/** Single-flight session refresh of `apiClient` (also used once at start-up to restore a session). */
export const refreshSession = session.refresh;
