import type { Tone } from '@/components/badge';
import type { AdminUserDetail } from '@/types';

type Status = AdminUserDetail['user']['status'];

export function statusLabel(status: Status): string {
  if (status === 'active') return 'Active';
  if (status === 'suspended') return 'Suspended';
  return 'Deleted';
}

export function statusTone(status: Status): Tone {
  if (status === 'active') return 'success';
  if (status === 'suspended') return 'danger';
  return 'neutral';
}

/** How the person is named in titles and messages: their name, else their email. */
export function displayName(user: { name: string | null; email: string }): string {
  return user.name?.trim() || user.email;
}
