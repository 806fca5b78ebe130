import { apiClient } from '@/lib/api-client';
import type { VersionInfo } from '@/types';

export async function getVersion(signal?: AbortSignal): Promise<VersionInfo> {
  const response = await apiClient.get<VersionInfo>('/api/version', { signal });
  return response.data;
}
