import { apiClient } from '@/lib/api-client';
import type { CreatedServiceToken, ServiceToken } from '@/types';

export interface CreateServiceTokenRequest {
  name: string;
  scopes: string[];
  /** RFC 3339; none: it never expires. */
  expiresAt?: string;
}

/** GET /api/admin/service-tokens: newest first, revoked and expired ones too. */
export async function listServiceTokens(signal?: AbortSignal): Promise<ServiceToken[]> {
  const response = await apiClient.get<{ tokens: ServiceToken[] }>('/api/admin/service-tokens', { signal });
  return response.data.tokens;
}

/** POST /api/admin/service-tokens: the answer carries the whole token, this once (only its hash is stored). */
export async function createServiceToken(body: CreateServiceTokenRequest): Promise<CreatedServiceToken> {
  const response = await apiClient.post<CreatedServiceToken>('/api/admin/service-tokens', body);
  return response.data;
}

/** DELETE /api/admin/service-tokens/{id}: 204, also when it was already revoked; the reason is optional. */
export async function revokeServiceToken(id: string, reason: string): Promise<void> {
  await apiClient.delete(`/api/admin/service-tokens/${encodeURIComponent(id)}`, reason ? { data: { reason } } : undefined);
}
