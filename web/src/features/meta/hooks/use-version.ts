import { useRequest } from '@/hooks/use-request';
import { getVersion } from '../api/get-version';

export function useVersion() {
  return useRequest(getVersion);
}
