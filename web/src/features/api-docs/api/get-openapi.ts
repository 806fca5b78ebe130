import { apiClient } from '@/lib/api-client';
import { isOpenApiDocument, type OpenApiDocument } from '../lib/openapi';

export async function getOpenApi(signal?: AbortSignal): Promise<OpenApiDocument> {
  const response = await apiClient.get<unknown>('/api/openapi.json', { signal });
  if (!isOpenApiDocument(response.data)) {
    throw new Error('The server did not return an OpenAPI document.');
  }
  return response.data;
}
