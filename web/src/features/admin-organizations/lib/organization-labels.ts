import type { Tone } from '@/components/badge';
import type { AdminOrganization } from '@/types';

type Status = AdminOrganization['status'];

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

/** "Owner", "Billing". */
export function roleLabel(role: string): string {
  return role.charAt(0) + role.slice(1).toLowerCase();
}
