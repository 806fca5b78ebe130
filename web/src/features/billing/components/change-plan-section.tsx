import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import type { ApiError } from '@/lib/api-client';
import { formatDate } from '@/lib/format';
import type { BillingInterval, Plan, Subscription } from '@/types';
import { effectiveInterval, planAction, type PlanAction } from '../lib/plans';
import { CurrentPlanBadge, IntervalToggle, PlanCard } from './plan-cards';

export interface PlanChoiceEvent {
  plan: Plan;
  interval: BillingInterval;
  action: PlanAction;
}

function ActionButton({
  plan,
  interval,
  subscription,
  action,
  busy,
  onChoose,
}: {
  plan: Plan;
  interval: BillingInterval;
  subscription: Subscription;
  action: PlanAction;
  busy: string | null;
  onChoose: (event: PlanChoiceEvent) => void;
}) {
  if (action.kind === 'current') return null;
  if (action.kind === 'cancel' && subscription.cancelAtPeriodEnd) {
    return <p className="small muted">Your organization moves to {plan.name} on {formatDate(subscription.currentPeriodEnd)}.</p>;
  }
  const billed = effectiveInterval(plan, interval);
  const samePlan = subscription.plan.id === plan.id;
  const label = samePlan
    ? `Switch to ${billed === 'year' ? 'annual' : 'monthly'} billing`
    : action.kind === 'checkout' && plan.trialDays > 0
      ? `Start ${plan.trialDays}-day trial of ${plan.name}`
      : `Switch to ${plan.name}`;
  const mine = busy === plan.slug;
  return (
    <button
      type="button"
      className={`btn btn--block ${action.kind === 'cancel' ? 'btn--secondary' : 'btn--primary'}`}
      onClick={() => onChoose({ plan, interval: billed, action })}
      aria-disabled={busy !== null || undefined}
    >
      {mine ? (action.kind === 'checkout' ? 'Opening checkout…' : 'Working…') : label}
    </button>
  );
}

/** The catalog with what choosing each plan does for this organization. */
export function ChangePlanSection({
  plans,
  plansError,
  onRetry,
  subscription,
  interval,
  onInterval,
  busy,
  message,
  onChoose,
}: {
  plans: Plan[] | undefined;
  plansError: ApiError | undefined;
  onRetry: () => void;
  subscription: Subscription | undefined;
  interval: BillingInterval;
  onInterval: (interval: BillingInterval) => void;
  /** The slug of the plan whose checkout is being opened. */
  busy: string | null;
  message: string | null;
  onChoose: (event: PlanChoiceEvent) => void;
}) {
  let body;
  if (!plans && plansError) {
    body = <ErrorState error={plansError} title="Could not load the plans" onRetry={onRetry} />;
  } else if (!plans || !subscription) {
    body = <LoadingBlock label="Loading plans…" />;
  } else if (plans.length === 0) {
    body = <EmptyState title="No plans to choose from">The operator has not published any plans yet.</EmptyState>;
  } else {
    // The current plan may be archived (hidden from the catalog); show it anyway so the list makes sense.
    const list = plans.some((p) => p.id === subscription.plan.id) ? plans : [subscription.plan, ...plans];
    body = (
      <ul className="plan-grid" aria-label="Plans">
        {list.map((plan) => {
          const action = planAction(subscription, plan, interval);
          return (
            <PlanCard
              key={plan.id}
              plan={plan}
              interval={interval}
              highlighted={action.kind === 'current'}
              badge={action.kind === 'current' ? <CurrentPlanBadge /> : undefined}
            >
              <ActionButton plan={plan} interval={interval} subscription={subscription} action={action} busy={busy} onChoose={onChoose} />
            </PlanCard>
          );
        })}
      </ul>
    );
  }

  return (
    <section className="billing-block" aria-labelledby="plans-title" id="plans">
      <div className="billing-block__head">
        <h2 id="plans-title" className="billing-section__title">
          Change plan
        </h2>
        {plans && <IntervalToggle value={interval} onChange={onInterval} plans={plans} />}
      </div>
      <div role="alert" className={message ? 'inline-message inline-message--error' : undefined}>
        {message}
      </div>
      {body}
    </section>
  );
}
