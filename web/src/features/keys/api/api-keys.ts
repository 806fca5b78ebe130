import { apiClient } from '@/lib/api-client';
import type { ApiKey, ApiKeyList, ApiKeySecret, CreateApiKeyRequest, RotatedApiKey, UpdateApiKeyRequest } from '@/types';

function keyPath(id: string): string {
  return `/api/user/api-keys/${encodeURIComponent(id)}`;
}

/** GET /api/user/api-keys: every key of the active organization (revoked ones too), newest first, and the plan's allowance. */
export async function listApiKeys(signal?: AbortSignal): Promise<ApiKeyList> {
  const response = await apiClient.get<ApiKeyList>('/api/user/api-keys', { signal });
  return response.data;
}

/** POST /api/user/api-keys: the answer is the only time the secret exists outside a hash. */
export async function createApiKey(body: CreateApiKeyRequest): Promise<ApiKeySecret> {
  const response = await apiClient.post<ApiKeySecret>('/api/user/api-keys', body);
  return response.data;
}

/** PATCH /api/user/api-keys/{id}: rename, disable / enable, rate-limit override, metadata. */
export async function updateApiKey(id: string, changes: UpdateApiKeyRequest): Promise<ApiKey> {
  const response = await apiClient.patch<ApiKey>(keyPath(id), changes);
  return response.data;
}

/** DELETE /api/user/api-keys/{id}: revokes for good (idempotent). */
export async function revokeApiKey(id: string): Promise<void> {
  await apiClient.delete(keyPath(id));
}

/** POST /api/user/api-keys/{id}/rotate: a new key (secret shown once); the old one works for the grace period. */
export async function rotateApiKey(id: string, gracePeriodHours: number): Promise<RotatedApiKey> {
  const response = await apiClient.post<RotatedApiKey>(`${keyPath(id)}/rotate`, { gracePeriodHours });
  return response.data;
}
