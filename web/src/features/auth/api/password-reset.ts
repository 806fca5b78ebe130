import { apiClient } from '@/lib/api-client';
import type { Accepted } from '@/types';

/** POST /api/auth/forgot-password: always 202, whether or not the address has an account. */
export async function forgotPassword(email: string): Promise<Accepted> {
  const response = await apiClient.post<Accepted>('/api/auth/forgot-password', { email });
  return response.data;
}

/** POST /api/auth/reset-password: sets the password and ends every session of the account. */
export async function resetPassword(token: string, password: string): Promise<void> {
  await apiClient.post('/api/auth/reset-password', { token, password });
}
