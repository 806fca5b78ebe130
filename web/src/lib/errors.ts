import type { ApiError } from './api-client';

/** "in 5 minutes", "in 30 seconds", "in a moment". */
export function retryIn(seconds: number | undefined): string {
  if (seconds === undefined || seconds <= 0) return 'in a moment';
  if (seconds < 60) return `in ${seconds} second${seconds === 1 ? '' : 's'}`;
  const minutes = Math.ceil(seconds / 60);
  if (minutes < 60) return `in ${minutes} minute${minutes === 1 ? '' : 's'}`;
  const hours = Math.ceil(minutes / 60);
  return `in ${hours} hour${hours === 1 ? '' : 's'}`;
}

/** What a refused write says during a view as customer (403 IMPERSONATION_READ_ONLY). */
export const READ_ONLY_MESSAGE =
  'Nothing was changed: you are viewing this account as its customer, read-only. End the view to act as yourself.';

/** One sentence a person can act on, for errors a form does not handle specially. */
export function errorMessage(error: ApiError): string {
  switch (error.code) {
    case 'NETWORK_ERROR':
      return 'Cannot reach the server. Check your connection and try again.';
    case 'TIMEOUT':
      return 'The server took too long to answer. Try again.';
    case 'ACCOUNT_LOCKED':
      return `Too many failed sign-ins for this account. Try again ${retryIn(error.retryAfter)}, or reset your password.`;
    case 'TOO_MANY_ATTEMPTS':
      return `Too many failed sign-ins from this network. Try again ${retryIn(error.retryAfter)}.`;
    case 'IMPERSONATION_READ_ONLY':
      return READ_ONLY_MESSAGE;
    default:
      break;
  }
  if (error.status === 429) return `Too many requests. Try again ${retryIn(error.retryAfter)}.`;
  if (error.status >= 500) return 'Something went wrong on our side. Try again in a moment.';
  return error.detail ?? error.title;
}
