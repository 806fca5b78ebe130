import { describeKeyStatus, environmentLabel } from '@/lib/api-keys';
import type { ApiKey } from '@/types';
import { Badge } from './badge';

export function KeyStatusBadge({ apiKey }: { apiKey: Pick<ApiKey, 'status' | 'graceEndsAt'> }) {
  const view = describeKeyStatus(apiKey);
  return (
    <span className="badge-wrap" data-testid="key-status">
      <Badge tone={view.tone} dot>
        {view.label}
      </Badge>
    </span>
  );
}

export function EnvironmentBadge({ environment }: { environment: ApiKey['environment'] }) {
  return (
    <span className={`env-badge env-badge--${environment}`} title={environment === 'live' ? 'Live key: real traffic' : 'Test key: for development'}>
      {environmentLabel(environment)}
    </span>
  );
}
