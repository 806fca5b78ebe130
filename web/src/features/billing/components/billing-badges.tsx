import { Badge, type Tone } from '@/components/badge';
import { formatDate } from '@/lib/format';
import type { InvoiceSummary, Subscription } from '@/types';

const SUBSCRIPTION_STATUS: Record<Subscription['status'], { tone: Tone; label: string }> = {
  trialing: { tone: 'info', label: 'Trial' },
  active: { tone: 'success', label: 'Active' },
  past_due: { tone: 'danger', label: 'Past due' },
  unpaid: { tone: 'danger', label: 'Unpaid' },
  paused: { tone: 'neutral', label: 'Paused' },
};

/** The subscription's state: "Active", "Trial until …", "Past due · grace until …", plus "Cancels …" when scheduled. */
export function SubscriptionStatusBadges({ subscription }: { subscription: Subscription }) {
  const view = SUBSCRIPTION_STATUS[subscription.status] ?? { tone: 'neutral' as Tone, label: subscription.status };
  let label = view.label;
  if (subscription.status === 'trialing' && subscription.trialEnd) label = `Trial until ${formatDate(subscription.trialEnd)}`;
  if (subscription.status === 'past_due' && subscription.paymentGraceEndsAt) {
    label = `Past due · grace until ${formatDate(subscription.paymentGraceEndsAt)}`;
  }
  return (
    <span className="badge-row" data-testid="subscription-status">
      <Badge tone={view.tone} dot>
        {label}
      </Badge>
      {subscription.cancelAtPeriodEnd && <Badge tone="warning">Cancels {formatDate(subscription.currentPeriodEnd)}</Badge>}
    </span>
  );
}

const INVOICE_STATUS: Record<InvoiceSummary['status'], { tone: Tone; label: string }> = {
  draft: { tone: 'neutral', label: 'Draft' },
  open: { tone: 'info', label: 'Open' },
  paid: { tone: 'success', label: 'Paid' },
  failed: { tone: 'danger', label: 'Payment failed' },
  void: { tone: 'neutral', label: 'Void' },
  uncollectible: { tone: 'warning', label: 'Uncollectible' },
};

export function InvoiceStatusBadge({ status }: { status: InvoiceSummary['status'] }) {
  const view = INVOICE_STATUS[status] ?? { tone: 'neutral' as Tone, label: status };
  return <Badge tone={view.tone}>{view.label}</Badge>;
}
