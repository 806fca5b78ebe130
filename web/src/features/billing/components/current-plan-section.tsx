import { forwardRef } from 'react';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import type { ApiError } from '@/lib/api-client';
import { formatDate } from '@/lib/format';
import type { Subscription } from '@/types';
import { formatPlanPrice, isFreePlan } from '../lib/plans';
import { SubscriptionStatusBadges } from './billing-badges';

const SOURCE: Record<Subscription['source'], string> = {
  stripe: 'Paid through Stripe',
  local: 'Billed by this server (local invoices)',
  manual: 'Set up by the operator',
};

interface Props {
  subscription: Subscription | undefined;
  error: ApiError | undefined;
  onRetry: () => void;
  pending: 'resume' | null;
  onCancel: () => void;
  onResume: () => void;
}

/** The plan the organization is on, its status and period, and cancel / resume. */
export const CurrentPlanSection = forwardRef<HTMLHeadingElement, Props>(function CurrentPlanSection(
  { subscription, error, onRetry, pending, onCancel, onResume },
  headingRef,
) {
  let body;
  if (!subscription && error) {
    body = <ErrorState error={error} title="Could not load your subscription" onRetry={onRetry} />;
  } else if (!subscription) {
    body = <LoadingBlock label="Loading your plan…" />;
  } else {
    const s = subscription;
    const free = isFreePlan(s.plan) || s.implicit;
    const end = formatDate(s.currentPeriodEnd);
    body = (
      <>
        <div className="current-plan">
          <div className="current-plan__main">
            <p className="current-plan__name" data-testid="current-plan-name">
              {s.plan.name}
            </p>
            <p className="current-plan__price" data-testid="current-plan-price">
              {formatPlanPrice(s.plan, s.interval)}
            </p>
          </div>
          <SubscriptionStatusBadges subscription={s} />
        </div>
        <dl className="billing-facts">
          <div>
            <dt>Current period</dt>
            <dd>
              <time dateTime={s.currentPeriodStart}>{formatDate(s.currentPeriodStart)}</time> –{' '}
              <time dateTime={s.currentPeriodEnd}>{end}</time>
            </dd>
          </div>
          <div>
            <dt>{free ? 'Usage resets' : s.cancelAtPeriodEnd ? 'Ends' : 'Renews'}</dt>
            <dd>
              <time dateTime={s.currentPeriodEnd}>{end}</time>
            </dd>
          </div>
          {s.status === 'trialing' && s.trialEnd && (
            <div>
              <dt>Trial ends</dt>
              <dd>
                <time dateTime={s.trialEnd}>{formatDate(s.trialEnd)}</time>
              </dd>
            </div>
          )}
          {!s.implicit && (
            <div>
              <dt>Billing</dt>
              <dd>{SOURCE[s.source] ?? s.source}</dd>
            </div>
          )}
        </dl>
        {free ? (
          <p className="muted small">You are on the Free plan. Choose a plan below to raise your limits.</p>
        ) : s.cancelAtPeriodEnd ? (
          <div className="callout callout--warning billing-cancel-note" data-testid="cancel-scheduled">
            <p>
              Your subscription is canceled and ends on <strong>{end}</strong>. After that your organization moves to the
              Free plan. Resume to keep {s.plan.name}.
            </p>
            <button type="button" className="btn btn--primary btn--sm" onClick={onResume} aria-disabled={pending === 'resume' || undefined}>
              {pending === 'resume' ? 'Resuming…' : 'Resume subscription'}
            </button>
          </div>
        ) : (
          <div className="billing-actions">
            <button type="button" className="btn btn--danger-outline btn--sm" onClick={onCancel}>
              Cancel subscription
            </button>
          </div>
        )}
      </>
    );
  }

  return (
    <section className="card billing-section" aria-labelledby="current-plan-title">
      <h2 id="current-plan-title" ref={headingRef} tabIndex={-1} className="billing-section__title">
        Current plan
      </h2>
      {body}
    </section>
  );
});
