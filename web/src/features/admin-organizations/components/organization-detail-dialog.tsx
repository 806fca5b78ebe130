import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { AdminLoadError } from '@/components/admin-states';
import { Badge } from '@/components/badge';
import { Dialog } from '@/components/dialog';
import { EmptyState } from '@/components/empty-state';
import { QuotaBar } from '@/components/quota-bar';
import { RelativeTime } from '@/components/relative-time';
import { LoadingBlock } from '@/components/spinner';
import { useRequest } from '@/hooks/use-request';
import { formatDate, formatNumber } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import { subscriptionQuota } from '@/lib/quota';
import type { AdminOrganizationDetail, AdminPlan } from '@/types';
import { getOrganization } from '../api/admin-organizations';
import { roleLabel, statusLabel, statusTone } from '../lib/organization-labels';
import { OrganizationActionDialog, type OrganizationAction } from './organization-action-dialog';

function Section({ id, title, children }: { id: string; title: string; children: ReactNode }) {
  return (
    <section className="admin-detail__section" aria-labelledby={id}>
      <h3 id={id} className="admin-detail__title">
        {title}
      </h3>
      {children}
    </section>
  );
}

function Overview({ org }: { org: AdminOrganizationDetail }) {
  return (
    <dl className="admin-facts">
      <div>
        <dt>Status</dt>
        <dd>
          <Badge tone={statusTone(org.status)} dot>
            {statusLabel(org.status)}
          </Badge>
          {org.statusReason && <p className="small admin-facts__note">Reason: {org.statusReason}</p>}
        </dd>
      </div>
      <div>
        <dt>Kind</dt>
        <dd>{org.personal ? 'Personal (one member)' : 'Team'}</dd>
      </div>
      <div>
        <dt>Owner</dt>
        <dd>
          {org.owner ? (
            <Link to={`/admin/users/${encodeURIComponent(org.owner.id)}`}>{org.owner.name?.trim() || org.owner.email}</Link>
          ) : (
            <span className="muted">None</span>
          )}
        </dd>
      </div>
      <div>
        <dt>Billing email</dt>
        <dd>{org.billingEmail ?? <span className="muted">The owner&apos;s</span>}</dd>
      </div>
      <div>
        <dt>API keys</dt>
        <dd>
          {formatNumber(org.keys.active)} active <span className="muted">of {formatNumber(org.keys.total)}</span>
        </dd>
      </div>
      <div>
        <dt>Created</dt>
        <dd>
          <time dateTime={org.createdAt}>{formatDate(org.createdAt)}</time>
        </dd>
      </div>
      <div className="admin-facts__wide">
        <dt>Organization id</dt>
        <dd>
          <code className="small">{org.id}</code>
        </dd>
      </div>
      {org.stripeCustomerId && (
        <div className="admin-facts__wide">
          <dt>Stripe customer</dt>
          <dd>
            <code className="small">{org.stripeCustomerId}</code>
          </dd>
        </div>
      )}
    </dl>
  );
}

function Subscription({ org, plans }: { org: AdminOrganizationDetail; plans: AdminPlan[] | undefined }) {
  const sub = org.subscription;
  if (!sub) return <p className="muted">No subscription: the organization is on the Free plan.</p>;
  const policy = plans?.find((p) => p.slug === sub.plan.slug)?.quotaPolicy ?? 'hard_cap';
  return (
    <div className="admin-detail__stack">
      <p>
        <strong>{sub.plan.name}</strong>{' '}
        <span className="badge-row">
          <Badge tone={sub.status === 'active' || sub.status === 'trialing' ? 'success' : 'warning'}>{sub.status}</Badge>
          <Badge tone="neutral">{sub.source === 'manual' ? 'Comped by an admin' : sub.source}</Badge>
          {sub.cancelAtPeriodEnd && <Badge tone="warning">Cancels at period end</Badge>}
        </span>
        <br />
        <span className="small muted">
          {sub.interval === 'year' ? 'Yearly' : 'Monthly'} period {formatDate(sub.currentPeriodStart)} – {formatDate(sub.currentPeriodEnd)}
        </span>
      </p>
      <QuotaBar quota={subscriptionQuota(sub, policy)} compact />
    </div>
  );
}

function Members({ org }: { org: AdminOrganizationDetail }) {
  if (org.members.length === 0) return <p className="muted">No members.</p>;
  return (
    <ul className="admin-list">
      {org.members.map((m) => (
        <li key={m.userId} className="admin-list__item">
          <div className="admin-list__main">
            <Link to={`/admin/users/${encodeURIComponent(m.userId)}`} className="admin-list__title">
              {m.name?.trim() || m.email}
            </Link>
            <span className="small muted">
              {m.name?.trim() ? `${m.email} · ` : ''}joined <RelativeTime iso={m.joinedAt} />
            </span>
          </div>
          <span className="badge-row">
            <Badge tone={m.role === 'OWNER' ? 'info' : 'neutral'}>{roleLabel(m.role)}</Badge>
            {m.status !== 'active' && <Badge tone="danger">{m.status === 'suspended' ? 'Suspended' : 'Deleted'}</Badge>}
          </span>
        </li>
      ))}
    </ul>
  );
}

function invoiceTone(status: string) {
  if (status === 'paid') return 'success' as const;
  if (status === 'open' || status === 'draft') return 'info' as const;
  if (status === 'void') return 'neutral' as const;
  return 'danger' as const;
}

function Invoices({ org }: { org: AdminOrganizationDetail }) {
  if (org.invoices.length === 0) return <p className="muted">No invoices yet.</p>;
  return (
    <div className="table-wrap">
      <table className="table table--stack admin-table admin-table--compact">
        <caption className="sr-only">The 10 newest invoices</caption>
        <thead>
          <tr>
            <th scope="col">Invoice</th>
            <th scope="col">Status</th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {org.invoices.map((inv) => (
            <tr key={inv.id}>
              <th scope="row">
                {inv.number ?? <span className="muted">Draft</span>} <span className="small muted">{inv.source}</span>
              </th>
              <td data-label="Status">
                <span className="cell">
                  <Badge tone={invoiceTone(inv.status)}>{inv.status}</Badge>
                </span>
              </td>
              <td data-label="Total" className="num">
                <span className="cell">{formatMoney(inv.total, inv.currency)}</span>
              </td>
              <td data-label="Created">
                <span className="cell">
                  <time dateTime={inv.createdAt}>{formatDate(inv.createdAt)}</time>
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The drawer at `/admin/organizations/{id}`: members, plan and usage, keys, invoices, and the admin actions. */
export function OrganizationDetailDialog({
  id,
  plans,
  onChanged,
  onClose,
}: {
  id: string;
  plans: AdminPlan[] | undefined;
  onChanged: () => void;
  onClose: () => void;
}) {
  const detail = useRequest((signal) => getOrganization(id, signal), { key: id });
  const [action, setAction] = useState<OrganizationAction | null>(null);
  const [message, setMessage] = useState<string | null>(null);

  const done = (text: string) => {
    setAction(null);
    setMessage(text);
    detail.refresh();
    onChanged();
  };
  const open = (a: OrganizationAction) => {
    setMessage(null);
    setAction(a);
  };

  const org = detail.data;
  let body;
  if (detail.isLoading) {
    body = <LoadingBlock label="Loading the organization…" />;
  } else if (detail.error && !org) {
    body =
      detail.error.status === 404 ? (
        <EmptyState title="No such organization">
          <p>There is no organization with the id {id}, or it was deleted.</p>
        </EmptyState>
      ) : (
        <AdminLoadError error={detail.error} title="Could not load the organization" onRetry={detail.refresh} />
      );
  } else if (org) {
    body = (
      <div className="admin-detail">
        <div className="admin-actions" role="group" aria-label="Actions">
          {org.status === 'active' && (
            <button type="button" className="btn btn--sm btn--danger-outline" onClick={() => open('suspend')}>
              Suspend
            </button>
          )}
          {org.status === 'suspended' && (
            <button type="button" className="btn btn--sm btn--secondary" onClick={() => open('reactivate')}>
              Reactivate
            </button>
          )}
          <button type="button" className="btn btn--sm btn--secondary" onClick={() => open('plan')}>
            Change plan (comped)
          </button>
        </div>
        <Section id="org-overview" title="Overview">
          <Overview org={org} />
        </Section>
        <Section id="org-subscription" title="Subscription and usage this period">
          <Subscription org={org} plans={plans} />
        </Section>
        <Section id="org-members" title={`Members (${formatNumber(org.members.length)})`}>
          <Members org={org} />
        </Section>
        <Section id="org-invoices" title="Invoices">
          <Invoices org={org} />
        </Section>
        <p className="small">
          <Link to={`/admin/audit?organizationId=${encodeURIComponent(org.id)}`}>Its audit log</Link>
        </p>
      </div>
    );
  }

  return (
    <Dialog
      title={org ? org.name : 'Organization'}
      description={org ? (org.personal ? 'Personal organization' : 'Team organization') : undefined}
      onClose={onClose}
      drawer
      wide
    >
      <div role="status" aria-live="polite" className={message ? 'inline-message inline-message--ok' : 'admin-live'}>
        {message}
      </div>
      {body}
      {action && org && (
        <OrganizationActionDialog action={action} organization={org} plans={plans} onDone={done} onClose={() => setAction(null)} />
      )}
    </Dialog>
  );
}
