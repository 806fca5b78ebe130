import { useRef, useState } from 'react';
import { Badge } from '@/components/badge';
import { Dialog } from '@/components/dialog';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { LoadingBlock } from '@/components/spinner';
import { useForm } from '@/hooks/use-form';
import { useRequest } from '@/hooks/use-request';
import { isApiError, toApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import type { BillingMode, PaymentMethod } from '@/types';
import {
  createPortalSession,
  listPaymentMethods,
  removePaymentMethod,
  setDefaultPaymentMethod,
  setupPaymentMethod,
} from '../api/billing';
import { expiryText, isExpired, paymentMethodLabel } from '../lib/invoices';
import { redirectTo } from '../lib/redirect';

type Busy = { kind: 'default'; id: string } | { kind: 'setup' } | { kind: 'portal' } | null;
type Message = { tone: 'ok' | 'error'; text: string } | null;

function describe(method: PaymentMethod): string {
  const last4 = method.last4 ? ` ending in ${method.last4}` : '';
  return `${paymentMethodLabel(method)}${last4}`;
}

function RemoveDialog({ method, onRemoved, onClose }: { method: PaymentMethod; onRemoved: () => void; onClose: () => void }) {
  const form = useForm([] as const);
  const onSubmit = form.handleSubmit(async () => {
    try {
      await removePaymentMethod(method.id);
    } catch (err) {
      // Already gone: the goal is reached.
      if (!(isApiError(err) && (err.code === 'PAYMENT_METHOD_NOT_FOUND' || err.code === 'NOT_FOUND'))) throw err;
    }
    onRemoved();
  });
  return (
    <Dialog
      title="Remove this card?"
      tone="danger"
      onClose={onClose}
      description={
        <p>
          <strong>{describe(method)}</strong> is removed from your account in Stripe.
          {method.isDefault ? ' It is your default card: renewals and overage need another card to be charged.' : ''}
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Remove card">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Removing…" variant="danger">
            Remove card
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Keep it
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function MethodRow({
  method,
  busy,
  onDefault,
  onRemove,
}: {
  method: PaymentMethod;
  busy: Busy;
  onDefault: (method: PaymentMethod) => void;
  onRemove: (method: PaymentMethod) => void;
}) {
  const expiry = expiryText(method);
  const expired = isExpired(method);
  const name = describe(method);
  const making = busy?.kind === 'default' && busy.id === method.id;
  return (
    <li className="payment-method" data-testid="payment-method">
      <div className="payment-method__main">
        <p className="payment-method__name">
          <span>{paymentMethodLabel(method)}</span>
          {method.last4 && (
            <span className="payment-method__digits">
              <span aria-hidden="true"> •••• {method.last4}</span>
              <span className="sr-only"> ending in {method.last4}</span>
            </span>
          )}
          {method.isDefault && <Badge tone="info">Default</Badge>}
          {expired && <Badge tone="warning">Expired</Badge>}
        </p>
        {expiry && <p className="small muted">{expired ? `Expired ${expiry}` : `Expires ${expiry}`}</p>}
      </div>
      <div className="payment-method__actions">
        {!method.isDefault && (
          <button
            type="button"
            className="btn btn--secondary btn--sm"
            onClick={() => onDefault(method)}
            aria-disabled={busy !== null || undefined}
            aria-label={`Make ${name} the default`}
          >
            {making ? 'Saving…' : 'Make default'}
          </button>
        )}
        <button type="button" className="btn btn--danger-outline btn--sm" onClick={() => onRemove(method)} aria-label={`Remove ${name}`}>
          Remove
        </button>
      </div>
    </li>
  );
}

/** Saved cards (Stripe mode): default, remove, add through Stripe, or manage everything in the portal. */
export function PaymentMethodsSection({ billingMode }: { billingMode: BillingMode | undefined }) {
  const methods = useRequest(listPaymentMethods);
  const [busy, setBusy] = useState<Busy>(null);
  const [message, setMessage] = useState<Message>(null);
  const [removing, setRemoving] = useState<PaymentMethod | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const mode = methods.data?.billingMode ?? billingMode;

  const go = async (kind: 'setup' | 'portal') => {
    if (busy) return;
    setBusy({ kind });
    setMessage(null);
    try {
      const session = kind === 'setup' ? await setupPaymentMethod() : await createPortalSession();
      if (!redirectTo(session.url)) {
        setMessage({ tone: 'error', text: 'Stripe answered with an address this page cannot open. Try again.' });
        setBusy(null);
      }
      // On success the page is being replaced; keep the buttons disabled meanwhile.
    } catch (err) {
      setMessage({ tone: 'error', text: errorMessage(toApiError(err)) });
      setBusy(null);
    }
  };

  const makeDefault = async (method: PaymentMethod) => {
    if (busy) return;
    setBusy({ kind: 'default', id: method.id });
    setMessage(null);
    try {
      await setDefaultPaymentMethod(method.id);
      setMessage({ tone: 'ok', text: `${describe(method)} is now your default payment method.` });
    } catch (err) {
      setMessage({ tone: 'error', text: errorMessage(toApiError(err)) });
    } finally {
      setBusy(null);
      methods.refresh();
    }
  };

  let body;
  if (mode === 'local') {
    body = (
      <EmptyState title="No payment methods in local billing mode">
        Stripe is not configured on this server, so there are no cards to manage. Invoices are generated here.
      </EmptyState>
    );
  } else if (methods.isLoading) {
    body = <LoadingBlock label="Loading payment methods…" />;
  } else if (methods.error && !methods.data) {
    body = <ErrorState error={methods.error} title="Could not load your payment methods" onRetry={methods.refresh} />;
  } else if (methods.data && methods.data.paymentMethods.length === 0) {
    body = <EmptyState title="No saved cards">Add a card so renewals and overage can be charged automatically.</EmptyState>;
  } else if (methods.data) {
    body = (
      <ul className="payment-methods" aria-label="Saved payment methods">
        {methods.data.paymentMethods.map((m) => (
          <MethodRow key={m.id} method={m} busy={busy} onDefault={(pm) => void makeDefault(pm)} onRemove={setRemoving} />
        ))}
      </ul>
    );
  }

  return (
    <section className="card billing-section" aria-labelledby="payment-methods-title">
      <div className="billing-block__head">
        <h2 id="payment-methods-title" ref={headingRef} tabIndex={-1} className="billing-section__title">
          Payment methods
        </h2>
        {mode === 'stripe' && (
          <div className="billing-actions">
            <button type="button" className="btn btn--primary btn--sm" onClick={() => void go('setup')} aria-disabled={busy !== null || undefined}>
              {busy?.kind === 'setup' ? 'Opening Stripe…' : 'Add card'}
            </button>
            <button type="button" className="btn btn--secondary btn--sm" onClick={() => void go('portal')} aria-disabled={busy !== null || undefined}>
              {busy?.kind === 'portal' ? 'Opening Stripe…' : 'Manage in Stripe'}
            </button>
          </div>
        )}
      </div>
      <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined}>
        {message?.text}
      </div>
      {body}
      {removing && (
        <RemoveDialog
          method={removing}
          onClose={() => setRemoving(null)}
          onRemoved={() => {
            setRemoving(null);
            setMessage({ tone: 'ok', text: `Removed ${describe(removing)}.` });
            // The row and its buttons are gone: keep focus in the section.
            window.setTimeout(() => headingRef.current?.focus(), 0);
            methods.refresh();
          }}
        />
      )}
    </section>
  );
}
