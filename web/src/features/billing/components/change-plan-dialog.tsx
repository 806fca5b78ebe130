import type { RefObject } from 'react';
import { Dialog } from '@/components/dialog';
import { ErrorState } from '@/components/error-state';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { LoadingBlock } from '@/components/spinner';
import { useForm } from '@/hooks/use-form';
import { isApiError } from '@/lib/api-client';
import { useRequest } from '@/hooks/use-request';
import { formatMoney } from '@/lib/money';
import type { BillingInterval, Plan, PlanChangePreview, PlanChoice, Subscription } from '@/types';
import { changePlan, previewPlanChange } from '../api/billing';
import { intervalLabel } from '../lib/plans';

/** Answers that mean the page's idea of the subscription is out of date. */
const STALE_CODES = new Set(['USE_CANCEL', 'NO_SUBSCRIPTION', 'LOCAL_BILLING_MODE', 'ALREADY_SUBSCRIBED', 'ALREADY_ON_PLAN']);

function PreviewLines({ preview }: { preview: PlanChangePreview }) {
  if (preview.lines.length === 0) return null;
  return (
    <div className="table-wrap">
      <table className="table billing-lines" data-testid="preview-lines">
        <caption className="sr-only">What this change costs</caption>
        <thead>
          <tr>
            <th scope="col">Item</th>
            <th scope="col" className="num">
              Amount
            </th>
          </tr>
        </thead>
        <tbody>
          {preview.lines.map((line, i) => (
            <tr key={`${line.kind}-${i}`}>
              <td>{line.description}</td>
              <td className="num">{formatMoney(line.amount, preview.currency)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/**
 * Previews a plan change (proration in Stripe mode, the new base fee in local mode) and applies it with the
 * preview's `prorationDate`, so the charge is the one shown.
 */
export function ChangePlanDialog({
  subscription,
  plan,
  interval,
  onChanged,
  onClose,
  onStale,
  returnFocusRef,
}: {
  subscription: Subscription;
  plan: Plan;
  interval: BillingInterval;
  onChanged: (subscription: Subscription) => void;
  onClose: () => void;
  /** The server says the subscription is not what the page thinks (e.g. it changed elsewhere): reload it. */
  onStale: () => void;
  returnFocusRef?: RefObject<HTMLElement>;
}) {
  const choice: PlanChoice = { plan: plan.slug, interval };
  const preview = useRequest((signal) => previewPlanChange(choice, signal), { key: `${plan.slug}|${interval}` });
  const form = useForm([] as const, {
    codes: {
      PAYMENT_FAILED: { message: 'Your card was declined, so the plan did not change. Update your payment method and try again.' },
      USE_CANCEL: { message: 'Moving to the Free plan is a cancellation: use “Cancel subscription” instead.' },
      NO_SUBSCRIPTION: { message: 'There is no Stripe subscription to change yet. Close this and choose the plan again to check out.' },
      LOCAL_BILLING_MODE: { message: 'Billing is in local mode now. Close this and try again.' },
      ALREADY_ON_PLAN: { message: 'Your organization is on this plan already.' },
    },
  });
  const samePlan = subscription.plan.id === plan.id;
  const title = samePlan ? `Switch to ${interval === 'year' ? 'annual' : 'monthly'} billing` : `Switch to ${plan.name}`;

  const onSubmit = form.handleSubmit(async () => {
    const data = preview.data;
    if (!data) return;
    const body: PlanChoice = { ...choice };
    if (data.prorationDate !== null) body.prorationDate = data.prorationDate;
    try {
      onChanged(await changePlan(body));
    } catch (err) {
      if (isApiError(err) && STALE_CODES.has(err.code)) onStale();
      throw err;
    }
  });

  let body;
  if (preview.isLoading) {
    body = <LoadingBlock label="Working out what this change costs…" />;
  } else if (preview.error && !preview.data) {
    body = (
      <>
        <ErrorState error={preview.error} title="Could not preview this change" onRetry={preview.refresh} />
        <div className="form__actions dialog__actions">
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </>
    );
  } else if (preview.data) {
    const data = preview.data;
    const per = intervalLabel(data.interval);
    body = (
      <form className="form" noValidate onSubmit={onSubmit} aria-label={title}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <PreviewLines preview={data} />
        <dl className="billing-summary" data-testid="preview-summary">
          <div>
            <dt>Charged now</dt>
            <dd>{formatMoney(data.amountDue, data.currency)}</dd>
          </div>
          <div>
            <dt>Then</dt>
            <dd>
              {formatMoney(data.recurringAmount, data.currency)} per {per}
            </dd>
          </div>
        </dl>
        <p className="small muted">
          {data.billingMode === 'local'
            ? `Local billing mode: the change applies at once, the usage already counted this period stays counted, and the new base fee is billed on the next invoice.`
            : data.amountDue > 0
              ? 'The amount due now is the prorated difference for the rest of this period, charged to your default card.'
              : 'Any unused time on your current plan is credited to your next invoice.'}
        </p>
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Changing plan…">
            {data.amountDue > 0 ? `Pay ${formatMoney(data.amountDue, data.currency)} and switch` : 'Confirm change'}
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    );
  }

  return (
    <Dialog
      title={title}
      onClose={onClose}
      returnFocusRef={returnFocusRef}
      stepKey={preview.data ? 'preview' : 'loading'}
      description={
        <p>
          From <strong>{subscription.plan.name}</strong> to <strong>{plan.name}</strong>, billed{' '}
          {interval === 'year' ? 'yearly' : 'monthly'}.
        </p>
      }
    >
      {body}
    </Dialog>
  );
}
