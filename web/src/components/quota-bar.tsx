import { formatDate, formatNumber, formatPercent } from '@/lib/format';
import type { Quota } from '@/types';

function tone(percent: number): 'ok' | 'warning' | 'danger' {
  if (percent >= 100) return 'danger';
  if (percent >= 80) return 'warning';
  return 'ok';
}

function policyText(policy: Quota['policy']): string {
  return policy === 'hard_cap'
    ? 'Hard cap: calls beyond the limit are refused until the quota resets.'
    : 'Overage allowed: calls beyond the limit keep working and are billed per unit.';
}

/** Used vs included units of the current period, with the plan's policy and the reset date. */
export function QuotaBar({ quota, compact = false }: { quota: Quota; compact?: boolean }) {
  const { limit, used } = quota;
  const percent = quota.percent ?? (limit ? (used / limit) * 100 : 0);
  const shown = Math.max(0, Math.min(100, percent));
  const state = limit === null ? 'ok' : tone(percent);
  const usedText =
    limit === null ? `${formatNumber(used)} units used, no cap` : `${formatNumber(used)} of ${formatNumber(limit)} units used`;

  return (
    <div className={`quota quota--${state}`} data-testid="quota">
      <div className="quota__head">
        <p className="quota__used">
          <strong>{limit === null ? formatNumber(used) : `${formatNumber(used)} / ${formatNumber(limit)}`}</strong>{' '}
          <span className="muted">units{limit === null ? ' · no cap' : ''}</span>
        </p>
        {limit !== null && <p className="quota__percent">{formatPercent(percent / 100)}</p>}
      </div>
      {limit !== null && (
        <div
          className="quota__track"
          role="progressbar"
          aria-label="Quota used"
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={Math.round(shown)}
          aria-valuetext={`${usedText} (${formatPercent(percent / 100)})`}
        >
          <span className="quota__fill" style={{ width: `${shown}%` }} />
        </div>
      )}
      <p className="quota__meta small">
        {limit !== null && state === 'danger' && (
          <strong className="quota__alert">
            {quota.policy === 'hard_cap' ? 'Quota used up: calls are refused until it resets. ' : 'Over the included units. '}
          </strong>
        )}
        {compact ? null : `${policyText(quota.policy)} `}
        Resets <time dateTime={quota.resetsAt}>{formatDate(quota.resetsAt)}</time>.
      </p>
    </div>
  );
}
