import { apiClient } from '@/lib/api-client';
import type { AuthResult, LoginRequest, MfaChallenge, RegisterRequest } from '@/types';

export type LoginAnswer = AuthResult | MfaChallenge;

export function isMfaChallenge(answer: LoginAnswer): answer is MfaChallenge {
  return 'mfaRequired' in answer && answer.mfaRequired === true;
}

/** POST /api/auth/login: signed in, or a two-factor challenge to answer with `verifyTwoFactor`. */
export async function login(body: LoginRequest): Promise<LoginAnswer> {
  const response = await apiClient.post<LoginAnswer>('/api/auth/login', body);
  return response.data;
}

/** POST /api/auth/2fa/verify with a TOTP code or a recovery code. */
export async function verifyTwoFactor(mfaToken: string, code: string): Promise<AuthResult> {
  const response = await apiClient.post<AuthResult>('/api/auth/2fa/verify', { mfaToken, code });
  return response.data;
}

/** POST /api/auth/register: the account is created and signed in; a verification mail is on its way. */
export async function register(body: RegisterRequest): Promise<AuthResult> {
  const response = await apiClient.post<AuthResult>('/api/auth/register', body);
  return response.data;
}

/** POST /api/auth/logout: ends this device's session (the refresh cookie) and clears the cookie. */
export async function logout(): Promise<void> {
  await apiClient.post('/api/auth/logout');
}
