import { formatDateTime } from './format';
import type { Tone } from '@/components/badge';
import type { ApiKey } from '@/types';

export type KeyState = 'active' | 'rotating' | 'disabled' | 'expired' | 'revoked';

export interface KeyStatusView {
  state: KeyState;
  label: string;
  tone: Tone;
}

/**
 * What a key's status means to a person. A key replaced by a rotation keeps working until `graceEndsAt`
 * ("rotating"); once that has passed it is refused like a revoked key, even before the server marks it so.
 */
export function describeKeyStatus(key: Pick<ApiKey, 'status' | 'graceEndsAt'>, now: number = Date.now()): KeyStatusView {
  if (key.status === 'revoked') return { state: 'revoked', label: 'Revoked', tone: 'danger' };
  if (key.graceEndsAt) {
    const ends = Date.parse(key.graceEndsAt);
    if (!Number.isNaN(ends) && ends <= now) return { state: 'revoked', label: 'Revoked', tone: 'danger' };
    if (key.status !== 'expired') {
      return { state: 'rotating', label: `Rotating — works until ${formatDateTime(key.graceEndsAt)}`, tone: 'warning' };
    }
  }
  if (key.status === 'expired') return { state: 'expired', label: 'Expired', tone: 'warning' };
  if (key.status === 'disabled') return { state: 'disabled', label: 'Disabled', tone: 'neutral' };
  return { state: 'active', label: 'Active', tone: 'success' };
}

export function environmentLabel(environment: ApiKey['environment']): string {
  return environment === 'live' ? 'Live' : 'Test';
}
