import type { RateLimitBucket, RateLimitState } from '@/types';

type Kind = RateLimitState['kind'];

export const KINDS: readonly { value: Kind; label: string; idLabel: string; placeholder: string }[] = [
  { value: 'ip', label: 'IP address', idLabel: 'IP address', placeholder: '203.0.113.7 or 2001:db8::1' },
  { value: 'user', label: 'User', idLabel: 'User id', placeholder: 'UUID, from the Users page' },
  { value: 'key', label: 'API key', idLabel: 'API key id', placeholder: 'UUID of the key (not the key itself)' },
];

export function isKind(value: string | null): value is Kind {
  return value === 'ip' || value === 'user' || value === 'key';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** Why the subject id cannot be right, or undefined (the server has the last word). */
export function subjectError(kind: Kind, id: string): string | undefined {
  const v = id.trim();
  if (kind === 'ip') {
    if (!v) return 'Enter an IP address.';
    if (v.length > 45 || !(IPV4.test(v) || (v.includes(':') && /^[0-9a-f:.]+$/i.test(v)))) return 'Enter an IPv4 or IPv6 address, e.g. 203.0.113.7.';
    return undefined;
  }
  const what = kind === 'user' ? 'user id' : 'API key id';
  if (!v) return `Enter the ${what}.`;
  if (!UUID.test(v)) return `Enter the ${what}: a UUID like 3f2b…-…; ${kind === 'key' ? 'the key’s id, not the secret key' : 'copy it from the user’s details'}.`;
  return undefined;
}

export function bucketTitle(bucket: RateLimitBucket): string {
  if (bucket.name === 'api') return 'Dashboard API (/api)';
  if (bucket.name === 'login_failures') return 'Failed sign-ins';
  return 'Gateway and verify calls';
}

export function bucketUnit(bucket: RateLimitBucket): string {
  if (bucket.name === 'login_failures') return 'failures';
  if (bucket.name === 'key') return 'cost units';
  return 'requests';
}

/** "per minute", "per 15 minutes", "per 30 seconds". */
export function windowText(seconds: number): string {
  if (seconds % 3600 === 0) return seconds === 3600 ? 'per hour' : `per ${seconds / 3600} hours`;
  if (seconds % 60 === 0) return seconds === 60 ? 'per minute' : `per ${seconds / 60} minutes`;
  return `per ${seconds} seconds`;
}

/** "in 42 s", "in 3 min", "now". */
export function resetText(ms: number): string {
  if (ms <= 0) return 'now';
  const s = Math.ceil(ms / 1000);
  if (s < 60) return `in ${s} s`;
  const m = Math.ceil(s / 60);
  if (m < 60) return `in ${m} min`;
  return `in ${Math.ceil(m / 60)} h`;
}
