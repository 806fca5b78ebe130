import { apiClient } from '@/lib/api-client';
import type { User } from '@/types';

/** GET /api/user/profile: the signed-in user. */
export async function getMe(signal?: AbortSignal): Promise<User> {
  const response = await apiClient.get<User>('/api/user/profile', { signal });
  return response.data;
}
