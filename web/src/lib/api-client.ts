import axios, { AxiosError, AxiosHeaders, type AxiosInstance } from 'axios';
import { env } from '@/config/env';

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

  constructor(init: {
    status: number;
    code: string;
    title: string;
    detail?: string | undefined;
    requestId?: string | undefined;
    errors?: FieldError[];
    type?: string | undefined;
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

    if (looksLikeProblem(contentType, body)) {
      return new ApiError({
        status: typeof body.status === 'number' ? body.status : response.status,
        code: str(body.code) ?? `HTTP_${response.status}`,
        title: str(body.title) ?? statusTitle(response.status),
        detail: str(body.detail),
        requestId: str(body.requestId) ?? headerRequestId,
        errors: parseFieldErrors(body.errors),
        type: str(body.type),
        cause: error,
      });
    }

    return new ApiError({
      status: response.status,
      code: `HTTP_${response.status}`,
      title: statusTitle(response.status),
      detail: typeof body === 'string' && body.length > 0 && body.length <= 300 ? body : str(response.statusText),
      requestId: headerRequestId,
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

export function createApiClient(baseURL: string = env.apiBaseUrl): AxiosInstance {
  const client = axios.create({
    baseURL,
    timeout: 15_000,
    headers: { Accept: 'application/json, application/problem+json' },
  });
  client.interceptors.response.use(
    (response) => response,
    (error: unknown) => Promise.reject(toApiError(error)),
  );
  return client;
}

export const apiClient = createApiClient();
