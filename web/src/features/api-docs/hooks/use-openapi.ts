import { useRequest } from '@/hooks/use-request';
import { getOpenApi } from '../api/get-openapi';

export function useOpenApi() {
  return useRequest(getOpenApi);
}
