import { useId, type ReactNode } from 'react';
import { Badge } from '@/components/badge';
import { formatNumber } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import type { BillingInterval, Plan } from '@/types';
import {
  annualSavingPercent,
  describeFeatures,
  effectiveInterval,
  isFreePlan,
  limitText,
  overageText,
  planTypeLabel,
  priceFor,
} from '../lib/plans';

/** Monthly / annual switch (a radio group, so arrow keys work and the choice is announced). */
export function IntervalToggle({
  value,
  onChange,
  plans,
}: {
  value: BillingInterval;
  onChange: (interval: BillingInterval) => void;
  plans: readonly Plan[];
}) {
  const name = useId();
  const bestSaving = plans.reduce((best, p) => Math.max(best, annualSavingPercent(p)), 0);
  if (!plans.some((p) => p.priceAnnual !== null && p.priceAnnual > 0)) return null;
  const options: { value: BillingInterval; label: string; hint?: string }[] = [
    { value: 'month', label: 'Monthly' },
    { value: 'year', label: 'Annual', hint: bestSaving > 0 ? `save up to ${bestSaving}%` : undefined },
  ];
  return (
    <fieldset className="segmented interval-toggle">
      <legend className="sr-only">Billing period</legend>
      {options.map((o) => (
        <label key={o.value} className={`segmented__option${value === o.value ? ' is-selected' : ''}`}>
          <input
            type="radio"
            name={name}
            className="sr-only"
            value={o.value}
            checked={value === o.value}
            onChange={() => onChange(o.value)}
          />
          {o.label}
          {o.hint && <span className="interval-toggle__hint"> · {o.hint}</span>}
        </label>
      ))}
    </fieldset>
  );
}

function PriceLine({ plan, interval }: { plan: Plan; interval: BillingInterval }) {
  const billed = effectiveInterval(plan, interval);
  const price = priceFor(plan, billed);
  if (price === 0) {
    const usageOnly = plan.quotaPolicy === 'allow_overage' && plan.overagePrice > 0;
    return (
      <p className="plan-card__price" data-testid="plan-price">
        <span className="plan-card__amount">{formatMoney(0, plan.currency, { trimWhole: true })}</span>
        <span className="plan-card__per">{usageOnly ? ' / month + usage' : ' forever'}</span>
      </p>
    );
  }
  const saving = billed === 'year' ? annualSavingPercent(plan) : 0;
  return (
    <div>
      <p className="plan-card__price" data-testid="plan-price">
        <span className="plan-card__amount">{formatMoney(price, plan.currency, { trimWhole: true })}</span>
        <span className="plan-card__per"> / {billed === 'year' ? 'year' : 'month'}</span>
      </p>
      <p className="plan-card__price-note small muted">
        {billed === 'year'
          ? `${formatMoney(Math.round(price / 12), plan.currency)} per month, billed yearly${saving > 0 ? ` · save ${saving}%` : ''}`
          : interval === 'year'
            ? 'Billed monthly only'
            : 'Billed monthly'}
      </p>
    </div>
  );
}

/** The facts of a plan: included units, overage, limits, trial and its feature flags. */
export function PlanFacts({ plan }: { plan: Plan }) {
  const features = describeFeatures(plan.features);
  return (
    <>
      <ul className="plan-card__facts" aria-label={`What ${plan.name} includes`}>
        <li>
          <strong>{formatNumber(plan.includedUnits)}</strong> units included per month
        </li>
        <li data-testid="plan-overage">{overageText(plan)}</li>
        <li>{formatNumber(plan.rateLimitPerMinute)} requests per minute</li>
        <li>{limitText(plan.maxApiKeys, 'API keys')}</li>
        <li>{limitText(plan.maxMembers, 'team members')}</li>
        {plan.trialDays > 0 && <li>{plan.trialDays}-day free trial</li>}
      </ul>
      {features.length > 0 && (
        <ul className="plan-card__features" aria-label={`${plan.name} features`}>
          {features.map((f) => (
            <li key={f.key} className={f.included === false ? 'is-excluded' : undefined}>
              <span className="plan-card__mark" aria-hidden="true">
                {f.included === false ? '–' : '✓'}
              </span>
              {f.label}
              {f.included === false && <span className="sr-only"> (not included)</span>}
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

export function PlanCard({
  plan,
  interval,
  badge,
  highlighted,
  children,
}: {
  plan: Plan;
  interval: BillingInterval;
  /** e.g. "Current plan". */
  badge?: ReactNode;
  highlighted?: boolean;
  /** The call to action. */
  children?: ReactNode;
}) {
  return (
    <li className={`plan-card card${highlighted ? ' plan-card--current' : ''}`} data-testid={`plan-${plan.slug}`}>
      <div className="plan-card__head">
        <h3 className="plan-card__name">
          {plan.name}
        </h3>
        {badge}
      </div>
      {!isFreePlan(plan) && <p className="plan-card__type small muted">{planTypeLabel(plan.type)}</p>}
      <PriceLine plan={plan} interval={interval} />
      {plan.description && <p className="plan-card__desc">{plan.description}</p>}
      <PlanFacts plan={plan} />
      {children && <div className="plan-card__action">{children}</div>}
    </li>
  );
}

export function CurrentPlanBadge() {
  return <Badge tone="info">Current plan</Badge>;
}
