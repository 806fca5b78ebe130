import { Link } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { ErrorState } from '@/components/error-state';
import { EnvironmentBadge, KeyStatusBadge } from '@/components/key-status-badge';
import { QuotaBar } from '@/components/quota-bar';
import { LoadingBlock } from '@/components/spinner';
import { useRequest } from '@/hooks/use-request';
import { describeKeyStatus } from '@/lib/api-keys';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import { getKeys, getQuota, getRecentErrors } from '../api/overview';

const RECENT_KEYS = 3;
const RECENT_ERRORS = 5;

function CardHead({ id, title, link, linkText }: { id: string; title: string; link: string; linkText: string }) {
  return (
    <div className="overview-card__head">
      <h3 id={id} className="overview-card__title">
        {title}
      </h3>
      <Link to={link} className="small">
        {linkText}
      </Link>
    </div>
  );
}

export function UsageCard() {
  const quota = useRequest(getQuota);
  return (
    <section className="overview-card card" aria-labelledby="ov-usage" data-testid="overview-usage">
      <CardHead id="ov-usage" title="Usage this period" link="/usage" linkText="View usage" />
      {quota.isLoading && <LoadingBlock label="Loading quota…" />}
      {quota.error && !quota.data && <ErrorState error={quota.error} title="Could not load the quota" onRetry={quota.refresh} />}
      {quota.data && (
        <>
          <p className="overview-card__plan">
            Plan <Badge tone="info">{quota.data.plan.name}</Badge>
          </p>
          <QuotaBar quota={quota.data} compact />
        </>
      )}
    </section>
  );
}

export function RecentKeysCard() {
  const keys = useRequest(getKeys);
  const usable = (keys.data?.keys ?? []).filter((k) => describeKeyStatus(k).state !== 'revoked').slice(0, RECENT_KEYS);
  const allowance = keys.data?.allowance;
  return (
    <section className="overview-card card" aria-labelledby="ov-keys" data-testid="overview-keys">
      <CardHead id="ov-keys" title="API keys" link="/keys" linkText="Manage keys" />
      {keys.isLoading && <LoadingBlock label="Loading keys…" />}
      {keys.error && !keys.data && <ErrorState error={keys.error} title="Could not load your keys" onRetry={keys.refresh} />}
      {keys.data && (
        <>
          {allowance && (
            <p className="muted small">
              {allowance.max === null
                ? `${formatNumber(allowance.active)} active, no limit on your plan`
                : `${formatNumber(allowance.active)} of ${formatNumber(allowance.max)} active keys`}
            </p>
          )}
          {usable.length === 0 ? (
            <p className="overview-card__empty">
              No keys yet. <Link to="/keys">Create your first key</Link> to start calling the verify API.
            </p>
          ) : (
            <ul className="mini-list mini-list--stacked" aria-label="Recent keys">
              {usable.map((k) => (
                <li key={k.id} className="mini-list__item">
                  <div className="mini-list__main">
                    <span className="mini-list__title">{k.name}</span>
                    <span className="muted small">
                      <code>{k.prefix}…</code> ·{' '}
                      {k.lastUsedAt ? (
                        <>
                          used <time dateTime={k.lastUsedAt} title={formatDateTime(k.lastUsedAt)}>{formatRelative(k.lastUsedAt)}</time>
                        </>
                      ) : (
                        'never used'
                      )}
                    </span>
                  </div>
                  <div className="mini-list__side">
                    <EnvironmentBadge environment={k.environment} />
                    <KeyStatusBadge apiKey={k} />
                  </div>
                </li>
              ))}
            </ul>
          )}
        </>
      )}
    </section>
  );
}

export function RecentErrorsCard() {
  const errors = useRequest((signal) => getRecentErrors(RECENT_ERRORS, signal));
  return (
    <section className="overview-card card" aria-labelledby="ov-errors" data-testid="overview-errors">
      <CardHead id="ov-errors" title="Recent errors" link="/usage" linkText="Open usage" />
      {errors.isLoading && <LoadingBlock label="Loading recent errors…" />}
      {errors.error && !errors.data && <ErrorState error={errors.error} title="Could not load recent errors" onRetry={errors.refresh} />}
      {errors.data &&
        (errors.data.length === 0 ? (
          <p className="overview-card__empty">No failed calls in the last 30 days.</p>
        ) : (
          <ul className="mini-list" aria-label="Recent errors">
            {errors.data.map((e) => (
              <li key={e.id} className="mini-list__item">
                <div className="mini-list__main">
                  <span className="mini-list__title">
                    <span className={`method method--${e.method.toLowerCase()}`}>{e.method || '—'}</span> <code>{e.endpoint || '(none)'}</code>
                  </span>
                  <span className="muted small">
                    <time dateTime={e.occurredAt} title={formatDateTime(e.occurredAt)}>{formatRelative(e.occurredAt)}</time>
                    {e.code && e.code !== 'VALID' ? ` · ${e.code}` : ''}
                  </span>
                </div>
                <div className="mini-list__side">
                  <Badge tone={e.statusCode >= 500 ? 'danger' : 'warning'}>{e.statusCode}</Badge>
                </div>
              </li>
            ))}
          </ul>
        ))}
    </section>
  );
}
