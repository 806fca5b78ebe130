import { useState } from 'react';
import { Link } from 'react-router-dom';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { useAuthStore } from '@/stores/auth-store';
import type { BillingInterval, Plan } from '@/types';
import { listPlans } from '../api/billing';
import { isFreePlan } from '../lib/plans';
import { IntervalToggle, PlanCard } from './plan-cards';

function CallToAction({ plan, signedIn }: { plan: Plan; signedIn: boolean }) {
  const free = isFreePlan(plan);
  if (signedIn) {
    return (
      <Link to="/billing#plans" className={`btn btn--block ${free ? 'btn--secondary' : 'btn--primary'}`}>
        {free ? 'Manage your plan' : `Choose ${plan.name}`}
      </Link>
    );
  }
  if (free) {
    return (
      <Link to="/register" className="btn btn--block btn--secondary">
        Start free
      </Link>
    );
  }
  return (
    <Link to="/register" className="btn btn--block btn--primary">
      {plan.trialDays > 0 ? `Start ${plan.trialDays}-day free trial` : `Get ${plan.name}`}
    </Link>
  );
}

/** The public plan catalog (`GET /api/plans`), no sign-in needed. */
export function PricingPage() {
  useDocumentTitle('Pricing');
  const plans = useRequest(listPlans);
  const signedIn = useAuthStore((s) => s.status === 'authenticated');
  const [interval, setPlanInterval] = useState<BillingInterval>('month');

  let body;
  if (plans.isLoading) {
    body = <LoadingBlock label="Loading plans…" />;
  } else if (plans.error && !plans.data) {
    body = <ErrorState error={plans.error} title="Could not load the plans" onRetry={plans.refresh} />;
  } else if (!plans.data || plans.data.length === 0) {
    body = <EmptyState title="No plans published yet">Check back soon, or ask the operator of this server.</EmptyState>;
  } else {
    body = (
      <ul className="plan-grid" aria-label="Plans">
        {plans.data.map((plan) => (
          <PlanCard key={plan.id} plan={plan} interval={interval}>
            <CallToAction plan={plan} signedIn={signedIn} />
          </PlanCard>
        ))}
      </ul>
    );
  }

  return (
    <div className="page pricing-page">
      <header className="pricing-hero">
        <h1 className="page-header__title">Pricing</h1>
        <p className="page-header__desc">
          Start free, upgrade when you need more. Every plan includes a number of units per month; a unit is one API call
          unless an endpoint is priced higher. Plans with overage keep working past their included units and bill the rest
          per block.
        </p>
        {plans.data && plans.data.length > 0 && <IntervalToggle value={interval} onChange={setPlanInterval} plans={plans.data} />}
      </header>
      {body}
      <p className="muted small">
        {signedIn ? <Link to="/billing">Go to billing</Link> : <>Already a customer? <Link to="/login">Sign in</Link> to change your plan.</>}
      </p>
    </div>
  );
}
