import { useRequest } from '@/hooks/use-request';
import { getReadiness } from '../api/get-readiness';

export const READINESS_REFRESH_MS = 10_000;

export function useReadiness() {
  return useRequest(getReadiness, { intervalMs: READINESS_REFRESH_MS });
}
