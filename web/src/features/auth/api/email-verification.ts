import { apiClient } from '@/lib/api-client';
import type { Accepted, EmailVerified } from '@/types';

/** POST /api/auth/verify-email with the token from a sign-up or email-change link. */
export async function verifyEmail(token: string): Promise<EmailVerified> {
  const response = await apiClient.post<EmailVerified>('/api/auth/verify-email', { token });
  return response.data;
}

/** POST /api/auth/resend-verification: always 202 (the answer never tells whether the address has an account). */
export async function resendVerification(email: string): Promise<Accepted> {
  const response = await apiClient.post<Accepted>('/api/auth/resend-verification', { email });
  return response.data;
}
