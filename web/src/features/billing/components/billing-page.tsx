import { useEffect, useRef, useState } from 'react';
import { Notice } from '@/components/form/form-alert';
import { PageHeader } from '@/components/page-header';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { toApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { formatDate } from '@/lib/format';
import type { BillingInterval, Plan, Subscription } from '@/types';
import { createCheckout, getSubscription, getUpcomingInvoice, listPlans, resumeSubscription } from '../api/billing';
import { useCheckoutReturn, type CheckoutReturn, type SetupReturn } from '../hooks/use-checkout-return';
import { redirectTo } from '../lib/redirect';
import { CancelDialog } from './cancel-dialog';
import { ChangePlanDialog } from './change-plan-dialog';
import { ChangePlanSection, type PlanChoiceEvent } from './change-plan-section';
import { CurrentPlanSection } from './current-plan-section';
import { InvoicesSection } from './invoices-section';
import { PaymentMethodsSection } from './payment-methods-section';
import { UsageEstimateSection } from './usage-estimate-section';

export const LOCAL_MODE_TEXT =
  'Local billing mode: Stripe is not configured. Plan changes apply at once and invoices are generated here at the end of each period.';

type Open = { kind: 'cancel' } | { kind: 'change'; plan: Plan; interval: BillingInterval } | null;
type Message = { tone: 'ok' | 'error'; text: string } | null;

function CheckoutNotice({
  state,
  setup,
  subscription,
}: {
  state: CheckoutReturn;
  setup: SetupReturn;
  subscription: Subscription | undefined;
}) {
  if (setup === 'success') return <Notice tone="success">Card saved. It is listed under Payment methods below.</Notice>;
  if (setup === 'canceled') return <Notice tone="info">Adding a card was canceled. Nothing changed.</Notice>;
  if (state.kind === 'canceled') {
    return <Notice tone="info">Checkout canceled. Nothing was charged and your plan is unchanged.</Notice>;
  }
  if (state.kind !== 'success') return null;
  if (state.phase === 'updated') {
    return (
      <Notice tone="success">
        Payment received — you are now on the {subscription?.plan.name ?? 'new'} plan.
      </Notice>
    );
  }
  if (state.phase === 'timeout') {
    return (
      <Notice tone="info">
        Payment received — your plan has not updated yet. Stripe can take a minute to confirm it; refresh this page shortly.
      </Notice>
    );
  }
  return (
    <Notice tone="success">
      <span className="spinner spinner--inline" aria-hidden="true" /> Payment received — your plan updates in a few seconds.
    </Notice>
  );
}

function Banners({ subscription }: { subscription: Subscription | undefined }) {
  if (!subscription) return null;
  const s = subscription;
  return (
    <>
      {s.billingMode === 'local' && (
        <p className="callout callout--info" data-testid="local-mode-banner">
          {LOCAL_MODE_TEXT}
        </p>
      )}
      {s.pastDueSince && (
        <div className="callout callout--danger billing-banner" data-testid="past-due-banner">
          <p>
            <strong>Your last payment failed</strong> (on {formatDate(s.pastDueSince)}).{' '}
            {s.paymentGraceEndsAt
              ? `Pay the open invoice before ${formatDate(s.paymentGraceEndsAt)}, or API calls will be refused with PAYMENT_REQUIRED.`
              : 'Pay the open invoice to keep your API calls working.'}
            {s.billingMode === 'stripe' ? ' Update your payment method below, or manage it in Stripe.' : ''}
          </p>
        </div>
      )}
      {!s.pastDueSince && s.status === 'unpaid' && (
        <div className="callout callout--danger billing-banner" data-testid="unpaid-banner">
          <p>
            <strong>Payment overdue.</strong> The grace period has ended and API calls are refused with PAYMENT_REQUIRED until
            the open invoice is paid.
          </p>
        </div>
      )}
    </>
  );
}

/** After a checkout, the invoices are read again at these delays (ms). */
const INVOICE_RECHECK_MS = [1_500, 4_000, 10_000];

export function BillingPage() {
  useDocumentTitle('Billing');
  const subscription = useRequest(getSubscription);
  const upcoming = useRequest(getUpcomingInvoice);
  const plans = useRequest(listPlans);
  const { checkout, setup } = useCheckoutReturn(subscription);
  const [interval, setPlanInterval] = useState<BillingInterval>('month');
  const [open, setOpen] = useState<Open>(null);
  const [busy, setBusy] = useState<{ kind: 'checkout'; slug: string } | { kind: 'resume' } | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const [planMessage, setPlanMessage] = useState<string | null>(null);
  const [invoiceToken, setInvoiceToken] = useState(0);
  const currentRef = useRef<HTMLHeadingElement>(null);
  const sub = subscription.data;

  // Start the toggle on the interval the organization pays by.
  const intervalTouched = useRef(false);
  useEffect(() => {
    if (sub && !intervalTouched.current) setPlanInterval(sub.interval);
  }, [sub]);

  // Once the checkout's subscription has arrived, the estimate and invoices change too.
  const checkoutUpdated = checkout.kind === 'success' && checkout.phase === 'updated';
  const upcomingRefresh = upcoming.refresh;
  useEffect(() => {
    if (!checkoutUpdated) return undefined;
    upcomingRefresh();
    setInvoiceToken((t) => t + 1);
    // The paid invoice is mirrored from its own webhook, which can land a moment after the subscription's:
    // look again a few times rather than showing an empty list until the next reload.
    const timers = INVOICE_RECHECK_MS.map((ms) => window.setTimeout(() => setInvoiceToken((t) => t + 1), ms));
    return () => timers.forEach((t) => window.clearTimeout(t));
  }, [checkoutUpdated, upcomingRefresh]);

  const reloadAll = () => {
    subscription.refresh();
    upcoming.refresh();
    setInvoiceToken((t) => t + 1);
  };

  const afterChange = (text: string) => {
    setOpen(null);
    setMessage({ tone: 'ok', text });
    reloadAll();
    window.setTimeout(() => currentRef.current?.focus(), 0);
  };

  const resume = async () => {
    if (busy) return;
    setBusy({ kind: 'resume' });
    setMessage(null);
    try {
      const next = await resumeSubscription();
      setMessage({ tone: 'ok', text: `Resumed: your ${next.plan.name} plan renews on ${formatDate(next.currentPeriodEnd)}.` });
      window.setTimeout(() => currentRef.current?.focus(), 0);
    } catch (err) {
      setMessage({ tone: 'error', text: errorMessage(toApiError(err)) });
    } finally {
      setBusy(null);
      subscription.refresh();
    }
  };

  const startCheckout = async (plan: Plan, billed: BillingInterval) => {
    setBusy({ kind: 'checkout', slug: plan.slug });
    setPlanMessage(null);
    try {
      const session = await createCheckout({ plan: plan.slug, interval: billed });
      if (redirectTo(session.url)) return; // Leaving for Stripe: keep the buttons disabled.
      setPlanMessage('Stripe answered with an address this page cannot open. Try again.');
    } catch (err) {
      const error = toApiError(err);
      if (error.code === 'ALREADY_SUBSCRIBED' || error.code === 'LOCAL_BILLING_MODE') {
        setPlanMessage('Your subscription changed since this page loaded. It has been reloaded: choose the plan again.');
        subscription.refresh();
      } else {
        setPlanMessage(`Could not open checkout: ${errorMessage(error)}`);
      }
    }
    setBusy(null);
  };

  const choose = ({ plan, interval: billed, action }: PlanChoiceEvent) => {
    if (busy) return;
    setMessage(null);
    setPlanMessage(null);
    if (action.kind === 'checkout') void startCheckout(plan, billed);
    else if (action.kind === 'cancel') setOpen({ kind: 'cancel' });
    else if (action.kind === 'change') setOpen({ kind: 'change', plan, interval: billed });
  };

  return (
    <div className="page billing-page">
      <PageHeader title="Billing" description="Your plan, this period's usage and cost, invoices and payment methods." />

      <CheckoutNotice state={checkout} setup={setup} subscription={sub} />
      <Banners subscription={sub} />
      <div
        role="status"
        className={`billing-message${message ? ` inline-message inline-message--${message.tone}` : ''}`}
        data-testid="billing-message"
      >
        {message?.text}
      </div>

      <div className="billing-grid">
        <CurrentPlanSection
          ref={currentRef}
          subscription={sub}
          error={subscription.error}
          onRetry={subscription.refresh}
          pending={busy?.kind === 'resume' ? 'resume' : null}
          onCancel={() => {
            setMessage(null);
            setOpen({ kind: 'cancel' });
          }}
          onResume={() => void resume()}
        />
        <UsageEstimateSection upcoming={upcoming.data} error={upcoming.error} onRetry={upcoming.refresh} />
      </div>

      <ChangePlanSection
        plans={plans.data}
        plansError={plans.error ?? (sub ? undefined : subscription.error)}
        onRetry={() => {
          plans.refresh();
          if (!sub) subscription.refresh();
        }}
        subscription={sub}
        interval={interval}
        onInterval={(i) => {
          intervalTouched.current = true;
          setPlanInterval(i);
        }}
        busy={busy?.kind === 'checkout' ? busy.slug : null}
        message={planMessage}
        onChoose={choose}
      />

      <PaymentMethodsSection billingMode={sub?.billingMode} />

      <InvoicesSection reloadToken={invoiceToken} />

      {open?.kind === 'cancel' && sub && (
        <CancelDialog
          subscription={sub}
          returnFocusRef={currentRef}
          onClose={() => setOpen(null)}
          onCanceled={(next) =>
            afterChange(`Canceled. You keep ${next.plan.name} until ${formatDate(next.currentPeriodEnd)}, then move to Free.`)
          }
        />
      )}
      {open?.kind === 'change' && sub && (
        <ChangePlanDialog
          subscription={sub}
          plan={open.plan}
          interval={open.interval}
          returnFocusRef={currentRef}
          onClose={() => setOpen(null)}
          onStale={subscription.refresh}
          onChanged={(next) =>
            afterChange(`Done: you are now on ${next.plan.name}, billed ${next.interval === 'year' ? 'yearly' : 'monthly'}.`)
          }
        />
      )}
    </div>
  );
}
