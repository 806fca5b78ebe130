import { useRef, useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { Dialog } from '@/components/dialog';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { useRequest } from '@/hooks/use-request';
import { toApiError, type ApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { formatDateTime, formatNumber, formatRelative } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import { useAuthStore } from '@/stores/auth-store';
import type { AdminPlan } from '@/types';
import { listAdminPlans, updatePlan } from '../api/admin-plans';
import { PlanFormDialog } from './plan-form-dialog';

type Open = { kind: 'create' } | { kind: 'edit'; plan: AdminPlan } | { kind: 'archive'; plan: AdminPlan } | null;
type Message = { tone: 'ok' | 'error'; text: string } | null;

function NotAllowed({ children }: { children?: ReactNode }) {
  return (
    <div className="page">
      <PageHeader title="Plans" />
      <div className="state state--error" role="alert" data-testid="not-allowed">
        <div className="state__body">
          <p className="state__title">Not allowed</p>
          <div className="state__detail">{children ?? 'Only administrators can manage plans.'}</div>
        </div>
      </div>
    </div>
  );
}

function StripeSync({ plan }: { plan: AdminPlan }) {
  const { syncedAt, productId } = plan.stripe;
  if (syncedAt) {
    return (
      <span className="admin-plan__sync">
        <Badge tone="success">Synced</Badge>{' '}
        <time dateTime={syncedAt} title={formatDateTime(syncedAt)} className="small muted">
          {formatRelative(syncedAt)}
        </time>
        {productId && (
          <>
            <br />
            <code className="small">{productId}</code>
          </>
        )}
      </span>
    );
  }
  if (productId) {
    return (
      <span>
        <Badge tone="warning">Not synced</Badge> <code className="small">{productId}</code>
      </span>
    );
  }
  return <Badge tone="neutral">Not in Stripe</Badge>;
}

function price(plan: AdminPlan): string {
  const monthly = plan.priceMonthly === 0 ? 'Free' : `${formatMoney(plan.priceMonthly, plan.currency)} / month`;
  return plan.priceAnnual === null ? monthly : `${monthly} · ${formatMoney(plan.priceAnnual, plan.currency)} / year`;
}

function PlanRow({
  plan,
  busy,
  onEdit,
  onArchive,
  onUnarchive,
}: {
  plan: AdminPlan;
  busy: boolean;
  onEdit: (plan: AdminPlan) => void;
  onArchive: (plan: AdminPlan) => void;
  onUnarchive: (plan: AdminPlan) => void;
}) {
  const archived = plan.status === 'archived';
  return (
    <tr data-testid="admin-plan" className={archived ? 'is-archived' : undefined}>
      <th scope="row">
        <span className="admin-plan__name">{plan.name}</span> <code className="small muted">{plan.slug}</code>
      </th>
      <Cell label="Status">
        <Badge tone={archived ? 'neutral' : 'success'} dot>
          {archived ? 'Archived' : 'Active'}
        </Badge>
        {!plan.isPublic && (
          <>
            {' '}
            <Badge tone="neutral">Hidden</Badge>
          </>
        )}
      </Cell>
      <Cell label="Subscribers" num>
        {formatNumber(plan.subscribers)}
      </Cell>
      <Cell label="Price">{price(plan)}</Cell>
      <Cell label="Stripe">
        <StripeSync plan={plan} />
      </Cell>
      <Cell label="Actions" className="admin-plan__actions">
        <button type="button" className="btn btn--secondary btn--sm" onClick={() => onEdit(plan)} aria-label={`Edit ${plan.name}`}>
          Edit
        </button>
        {archived ? (
          <button
            type="button"
            className="btn btn--secondary btn--sm"
            onClick={() => onUnarchive(plan)}
            aria-disabled={busy || undefined}
            aria-label={`Unarchive ${plan.name}`}
          >
            {busy ? 'Restoring…' : 'Unarchive'}
          </button>
        ) : (
          <button type="button" className="btn btn--danger-outline btn--sm" onClick={() => onArchive(plan)} aria-label={`Archive ${plan.name}`}>
            Archive
          </button>
        )}
      </Cell>
    </tr>
  );
}

function ArchiveDialog({ plan, onArchived, onClose }: { plan: AdminPlan; onArchived: (plan: AdminPlan) => void; onClose: () => void }) {
  const form = useForm([] as const);
  const onSubmit = form.handleSubmit(async () => {
    onArchived(await updatePlan(plan.id, { status: 'archived' }));
  });
  return (
    <Dialog
      title={`Archive ${plan.name}?`}
      tone="danger"
      onClose={onClose}
      description={
        <p>
          It disappears from the pricing page and the plan picker.{' '}
          {plan.subscribers > 0
            ? `Its ${formatNumber(plan.subscribers)} subscriber${plan.subscribers === 1 ? '' : 's'} keep it until they change plan.`
            : 'Nobody is on it.'}{' '}
          You can unarchive it later.
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label={`Archive ${plan.name}`}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Archiving…" variant="danger">
            Archive plan
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Keep it
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function loadError(error: ApiError, onRetry: () => void) {
  if (error.code === 'ADMIN_2FA_REQUIRED') {
    return (
      <div className="state state--error" role="alert" data-testid="admin-2fa-required">
        <div className="state__body">
          <p className="state__title">Turn on two-factor authentication first</p>
          <p className="state__detail">
            Admin pages need two-factor authentication on your account. <Link to="/account#two-factor">Set it up in Account settings</Link>,
            then come back.
          </p>
        </div>
      </div>
    );
  }
  if (error.code === 'FORBIDDEN') {
    return <ErrorState error={error} title="Not allowed: only administrators can manage plans" />;
  }
  return <ErrorState error={error} title="Could not load the plans" onRetry={onRetry} />;
}

function AdminPlans() {
  const plans = useRequest(listAdminPlans);
  const [open, setOpen] = useState<Open>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);

  const close = () => setOpen(null);
  const done = (text: string) => {
    setOpen(null);
    setMessage({ tone: 'ok', text });
    window.setTimeout(() => headingRef.current?.focus(), 0);
    plans.refresh();
  };

  const unarchive = async (plan: AdminPlan) => {
    if (busy) return;
    setBusy(plan.id);
    setMessage(null);
    try {
      await updatePlan(plan.id, { status: 'active' });
      setMessage({ tone: 'ok', text: `${plan.name} is active again${plan.isPublic ? ' and listed publicly' : ''}.` });
    } catch (err) {
      setMessage({ tone: 'error', text: `Could not unarchive ${plan.name}: ${errorMessage(toApiError(err))}` });
    } finally {
      setBusy(null);
      plans.refresh();
    }
  };

  let body;
  if (plans.isLoading) {
    body = <LoadingBlock label="Loading plans…" />;
  } else if (plans.error && !plans.data) {
    body = loadError(plans.error, plans.refresh);
  } else if (!plans.data || plans.data.length === 0) {
    body = (
      <EmptyState title="No plans yet">
        <button type="button" className="btn btn--primary" onClick={() => setOpen({ kind: 'create' })}>
          Create the first plan
        </button>
      </EmptyState>
    );
  } else {
    body = (
      <div className="table-wrap">
        <table className="table table--stack admin-plans-table" data-testid="admin-plans">
          <caption className="sr-only">Plans in display order</caption>
          <thead>
            <tr>
              <th scope="col">Plan</th>
              <th scope="col">Status</th>
              <th scope="col" className="num">
                Subscribers
              </th>
              <th scope="col">Price</th>
              <th scope="col">Stripe</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {plans.data.map((p) => (
              <PlanRow
                key={p.id}
                plan={p}
                busy={busy === p.id}
                onEdit={(plan) => {
                  setMessage(null);
                  setOpen({ kind: 'edit', plan });
                }}
                onArchive={(plan) => {
                  setMessage(null);
                  setOpen({ kind: 'archive', plan });
                }}
                onUnarchive={(plan) => void unarchive(plan)}
              />
            ))}
          </tbody>
        </table>
      </div>
    );
  }

  const forbidden = plans.error && (plans.error.code === 'ADMIN_2FA_REQUIRED' || plans.error.code === 'FORBIDDEN');
  return (
    <div className="page admin-plans-page">
      <PageHeader
        title="Plans"
        description="The plan catalog: prices, included units, limits and features. Archived plans are hidden from new customers."
        actions={
          forbidden ? undefined : (
            <button type="button" className="btn btn--primary" onClick={() => setOpen({ kind: 'create' })}>
              Create plan
            </button>
          )
        }
      />
      <section aria-labelledby="admin-plans-title" className="billing-block">
        <h2 id="admin-plans-title" ref={headingRef} tabIndex={-1} className="sr-only">
          All plans
        </h2>
        <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined}>
          {message?.text}
        </div>
        {body}
      </section>

      {open?.kind === 'create' && (
        <PlanFormDialog onClose={close} onSaved={(saved) => done(`Created ${saved.name} (${saved.slug}).`)} />
      )}
      {open?.kind === 'edit' && (
        <PlanFormDialog plan={open.plan} onClose={close} onSaved={(saved) => done(`Saved ${saved.name}.`)} />
      )}
      {open?.kind === 'archive' && (
        <ArchiveDialog plan={open.plan} onClose={close} onArchived={(saved) => done(`Archived ${saved.name}. It is hidden from new customers.`)} />
      )}
    </div>
  );
}

/** `/admin/plans`: the plan editor, for users whose role is ADMIN (the server also requires two-factor authentication). */
export function AdminPlansPage() {
  useDocumentTitle('Plans');
  const role = useAuthStore((s) => s.user?.role);
  if (role !== 'ADMIN') return <NotAllowed />;
  return <AdminPlans />;
}
