import type { RefObject } from 'react';
import { Dialog } from '@/components/dialog';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { isApiError } from '@/lib/api-client';
import { formatDate } from '@/lib/format';
import type { Subscription } from '@/types';
import { cancelSubscription } from '../api/billing';

/** Confirms cancelling at the end of the period (also the way to move to Free in Stripe mode). */
export function CancelDialog({
  subscription,
  onCanceled,
  onClose,
  returnFocusRef,
}: {
  subscription: Subscription;
  onCanceled: (subscription: Subscription) => void;
  onClose: () => void;
  returnFocusRef?: RefObject<HTMLElement>;
}) {
  const form = useForm([] as const, {
    codes: { NOTHING_TO_CANCEL: { message: 'There is nothing to cancel: your organization is already on the Free plan.' } },
  });
  const end = formatDate(subscription.currentPeriodEnd);

  const onSubmit = form.handleSubmit(async () => {
    try {
      onCanceled(await cancelSubscription());
    } catch (err) {
      // Canceled meanwhile (another tab, the portal): the goal is reached.
      if (!(isApiError(err) && err.code === 'ALREADY_CANCELING')) throw err;
      onCanceled({ ...subscription, cancelAtPeriodEnd: true });
    }
  });

  return (
    <Dialog
      title="Cancel your subscription?"
      tone="danger"
      onClose={onClose}
      returnFocusRef={returnFocusRef}
      description={
        <>
          <p>
            You keep the <strong>{subscription.plan.name}</strong> plan and its limits until <strong>{end}</strong>. After
            that your organization moves to the Free plan, and calls beyond Free&apos;s limits are refused.
          </p>
          <p>Nothing more is charged after the current period. You can resume any time before {end}.</p>
        </>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Cancel subscription">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Canceling…" variant="danger">
            Cancel subscription
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Keep my plan
          </button>
        </div>
      </form>
    </Dialog>
  );
}
