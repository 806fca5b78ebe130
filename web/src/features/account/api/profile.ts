import { apiClient } from '@/lib/api-client';
import type { Accepted, ProfileUpdate, User } from '@/types';

/** PATCH /api/user/profile: only the fields sent change; null clears one. */
export async function updateProfile(changes: ProfileUpdate): Promise<User> {
  const response = await apiClient.patch<User>('/api/user/profile', changes);
  return response.data;
}

/** POST /api/user/password: other sessions end; this one keeps working. */
export async function changePassword(currentPassword: string, newPassword: string): Promise<void> {
  await apiClient.post('/api/user/password', { currentPassword, newPassword });
}

/** POST /api/user/email: a confirmation link goes to the new address; nothing changes until it is opened. */
export async function changeEmail(password: string, newEmail: string): Promise<Accepted> {
  const response = await apiClient.post<Accepted>('/api/user/email', { password, newEmail });
  return response.data;
}

/** DELETE /api/user/account. */
export async function deleteAccount(password: string): Promise<void> {
  await apiClient.delete('/api/user/account', { data: { password, confirmation: 'DELETE' } });
}
