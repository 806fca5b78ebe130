import { apiClient } from '@/lib/api-client';
import type { ApiEndpoint, ApiEndpointInput, ApiEndpointUpdate } from '@/types';

// Changes apply at once on this server; other instances re-read the catalog within 5 seconds.

function endpointPath(id: string): string {
  return `/api/admin/endpoints/${encodeURIComponent(id)}`;
}

/** GET /api/admin/endpoints: the whole catalog, by path pattern then method. */
export async function listEndpoints(signal?: AbortSignal): Promise<ApiEndpoint[]> {
  const response = await apiClient.get<{ endpoints: ApiEndpoint[] }>('/api/admin/endpoints', { signal });
  return response.data.endpoints;
}

/** POST /api/admin/endpoints (422 with field errors; 409 ENDPOINT_EXISTS for a taken method + path pattern). */
export async function createEndpoint(input: ApiEndpointInput): Promise<ApiEndpoint> {
  const response = await apiClient.post<ApiEndpoint>('/api/admin/endpoints', input);
  return response.data;
}

/** PATCH /api/admin/endpoints/{id}: only the fields that change (at least one). */
export async function updateEndpoint(id: string, changes: ApiEndpointUpdate): Promise<ApiEndpoint> {
  const response = await apiClient.patch<ApiEndpoint>(endpointPath(id), changes);
  return response.data;
}

/** DELETE /api/admin/endpoints/{id}: 204; calls to it then answer 404 at the gateway. */
export async function deleteEndpoint(id: string): Promise<void> {
  await apiClient.delete(endpointPath(id));
}
