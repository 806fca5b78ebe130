import { describeKeyStatus } from '@/lib/api-keys';
import type { ApiKey } from '@/types';

export type KeyAction = 'rename' | 'disable' | 'enable' | 'rotate' | 'revoke';

/** Which actions make sense for a key in its current state. */
export function actionsFor(key: ApiKey): KeyAction[] {
  const state = describeKeyStatus(key).state;
  switch (state) {
    case 'active':
      return ['rename', 'rotate', 'disable', 'revoke'];
    case 'disabled':
      return ['rename', 'enable', 'rotate', 'revoke'];
    case 'rotating':
      return ['rename', key.status === 'disabled' ? 'enable' : 'disable', 'revoke'];
    case 'expired':
      return ['rename', 'revoke'];
    default:
      return [];
  }
}

