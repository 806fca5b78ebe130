import { env } from '@/config/env';
import { describeResponse, type GatewayResponse, type PlaygroundMethod } from '../lib/gateway';

export const GATEWAY_TIMEOUT_MS = 30_000;

export interface GatewayCall {
  method: PlaygroundMethod;
  /** Already checked with `pathError` and normalised with `requestPath`. */
  path: string;
  apiKey: string;
  /** JSON text, POST only. */
  body?: string | undefined;
}

/** Thrown when no HTTP answer arrived at all (offline, CORS, timeout). */
export class GatewayNetworkError extends Error {
  override readonly name = 'GatewayNetworkError';
  readonly timedOut: boolean;
  constructor(message: string, timedOut: boolean, cause?: unknown) {
    super(message, { cause });
    this.timedOut = timedOut;
  }
}

/**
 * Calls the gateway the way a customer's app would: plain `fetch`, not the dashboard's API client, so neither
 * the dashboard's bearer token nor its cookies go along. The API key is the only credential (`X-API-Key`).
 * Any HTTP answer resolves, refusals (problem+json) included; only a missing answer rejects.
 */
export async function callGateway(call: GatewayCall, signal?: AbortSignal): Promise<GatewayResponse> {
  const headers: Record<string, string> = {
    Accept: 'application/json, application/problem+json',
    'X-API-Key': call.apiKey.trim(),
  };
  const body = call.method === 'POST' ? call.body : undefined;
  if (body !== undefined) headers['Content-Type'] = 'application/json';

  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, GATEWAY_TIMEOUT_MS);
  const onAbort = () => controller.abort();
  if (signal?.aborted) controller.abort();
  signal?.addEventListener('abort', onAbort);

  const started = performance.now();
  try {
    const response = await fetch(`${env.apiBaseUrl}${call.path}`, {
      method: call.method,
      headers,
      body,
      credentials: 'omit',
      cache: 'no-store',
      redirect: 'error',
      signal: controller.signal,
    });
    const text = await response.text();
    return describeResponse({
      status: response.status,
      statusText: response.statusText,
      headers: response.headers.entries(),
      text,
      durationMs: Math.round(performance.now() - started),
    });
  } catch (err) {
    if (timedOut) throw new GatewayNetworkError(`The gateway did not answer within ${GATEWAY_TIMEOUT_MS / 1000} seconds.`, true, err);
    if (signal?.aborted) throw err;
    throw new GatewayNetworkError('Could not reach the gateway. Check your connection and try again.', false, err);
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  }
}
