import { apiClient } from '@/lib/api-client';
import type { RecoveryCodes, TwoFactorSetup, TwoFactorStatus } from '@/types';

export async function getTwoFactorStatus(signal?: AbortSignal): Promise<TwoFactorStatus> {
  const response = await apiClient.get<TwoFactorStatus>('/api/user/2fa', { signal });
  return response.data;
}

/** Starts enrolment (needs the password): a new secret and its otpauth URI. */
export async function setupTwoFactor(password: string): Promise<TwoFactorSetup> {
  const response = await apiClient.post<TwoFactorSetup>('/api/user/2fa/setup', { password });
  return response.data;
}

/** Confirms enrolment with a code from the app; answers the 10 recovery codes, shown once. */
export async function enableTwoFactor(code: string): Promise<string[]> {
  const response = await apiClient.post<RecoveryCodes>('/api/user/2fa/enable', { code });
  return response.data.recoveryCodes;
}

export async function disableTwoFactor(password: string, code: string): Promise<void> {
  await apiClient.post('/api/user/2fa/disable', { password, code });
}

/** New recovery codes; the old ones stop working. */
export async function regenerateRecoveryCodes(code: string): Promise<string[]> {
  const response = await apiClient.post<RecoveryCodes>('/api/user/2fa/recovery-codes', { code });
  return response.data.recoveryCodes;
}
