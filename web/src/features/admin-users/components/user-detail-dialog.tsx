import { useState, type ReactNode } from 'react';
import { Link } from 'react-router-dom';
import { AdminLoadError } from '@/components/admin-states';
import { Badge } from '@/components/badge';
import { RelativeTime } from '@/components/relative-time';
import { Dialog } from '@/components/dialog';
import { EmptyState } from '@/components/empty-state';
import { QuotaBar } from '@/components/quota-bar';
import { LoadingBlock } from '@/components/spinner';
import { useRequest } from '@/hooks/use-request';
import { formatDate, formatDateTime, formatNumber } from '@/lib/format';
import { subscriptionQuota } from '@/lib/quota';
import type { AdminPlan, AdminUserDetail } from '@/types';
import { getUser } from '../api/admin-users';
import { displayName, statusLabel, statusTone } from '../lib/user-labels';
import { canViewAs } from '../lib/view-as';
import { UserActionDialog, type ActionResult, type UserAction } from './user-action-dialog';
import { ViewAsDialog } from './view-as-dialog';

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

function Profile({ detail }: { detail: AdminUserDetail }) {
  const { user } = detail;
  return (
    <dl className="admin-facts">
      <div>
        <dt>Email</dt>
        <dd>
          {user.email}{' '}
          {user.emailVerified ? <Badge tone="success">Verified</Badge> : <Badge tone="warning">Unverified</Badge>}
        </dd>
      </div>
      <div>
        <dt>Name</dt>
        <dd>{user.name ?? <span className="muted">Not given</span>}</dd>
      </div>
      <div>
        <dt>Company</dt>
        <dd>{user.company ?? <span className="muted">Not given</span>}</dd>
      </div>
      <div>
        <dt>Status</dt>
        <dd>
          <Badge tone={statusTone(user.status)} dot>
            {statusLabel(user.status)}
          </Badge>
          {user.suspendedAt && (
            <span className="small muted">
              {' '}
              since <RelativeTime iso={user.suspendedAt} />
            </span>
          )}
          {user.statusReason && <p className="small admin-facts__note">Reason: {user.statusReason}</p>}
        </dd>
      </div>
      <div>
        <dt>Role</dt>
        <dd>{user.role === 'ADMIN' ? <Badge tone="info">Admin</Badge> : 'User'}</dd>
      </div>
      <div>
        <dt>Two-factor authentication</dt>
        <dd>{user.twoFactor ? <Badge tone="success">On</Badge> : <Badge tone="neutral">Off</Badge>}</dd>
      </div>
      <div>
        <dt>Joined</dt>
        <dd>
          <time dateTime={user.createdAt}>{formatDate(user.createdAt)}</time>
        </dd>
      </div>
      <div>
        <dt>Last sign-in</dt>
        <dd>
          <RelativeTime iso={user.lastLoginAt} />
        </dd>
      </div>
      {user.lockedUntil && new Date(user.lockedUntil).getTime() > Date.now() && (
        <div>
          <dt>Locked after failed sign-ins</dt>
          <dd>
            until <time dateTime={user.lockedUntil}>{formatDateTime(user.lockedUntil)}</time>
          </dd>
        </div>
      )}
      <div className="admin-facts__wide">
        <dt>User id</dt>
        <dd>
          <code className="small">{user.id}</code>
        </dd>
      </div>
    </dl>
  );
}

function Organizations({ detail }: { detail: AdminUserDetail }) {
  if (detail.organizations.length === 0) return <p className="muted">Not a member of any organization.</p>;
  return (
    <ul className="admin-list">
      {detail.organizations.map((o) => (
        <li key={o.id} className="admin-list__item">
          <div className="admin-list__main">
            <Link to={`/admin/organizations/${encodeURIComponent(o.id)}`} className="admin-list__title">
              {o.name}
            </Link>
            <span className="small muted">
              {o.personal ? 'Personal' : `${formatNumber(o.memberCount)} member${o.memberCount === 1 ? '' : 's'}`} ·{' '}
              {o.plan ? o.plan.name : 'Free'}
            </span>
          </div>
          <span className="badge-row">
            <Badge tone="neutral">{o.role.charAt(0) + o.role.slice(1).toLowerCase()}</Badge>
            {o.status !== 'active' && <Badge tone="danger">{o.status === 'suspended' ? 'Suspended' : o.status}</Badge>}
          </span>
        </li>
      ))}
    </ul>
  );
}

function SubscriptionUsage({ detail, plans }: { detail: AdminUserDetail; plans: AdminPlan[] | undefined }) {
  const sub = detail.subscription;
  if (!sub) {
    return (
      <p className="muted">
        No subscription on their personal organization: it is on the Free plan. Usage of team organizations shows on each
        organization.
      </p>
    );
  }
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
          {` · ${formatNumber(sub.requests)} call${sub.requests === 1 ? '' : 's'}`}
        </span>
      </p>
      <QuotaBar quota={subscriptionQuota(sub, plans?.find((p) => p.slug === sub.plan.slug)?.quotaPolicy ?? 'hard_cap')} compact />
    </div>
  );
}

function Keys({ detail }: { detail: AdminUserDetail }) {
  if (detail.keys.length === 0) return <p className="muted">No API keys in their organizations.</p>;
  const orgName = (id: string) => detail.organizations.find((o) => o.id === id)?.name ?? id;
  return (
    <div className="table-wrap">
      <table className="table table--stack admin-table admin-table--compact">
        <caption className="sr-only">API keys in their organizations, newest first (at most 50)</caption>
        <thead>
          <tr>
            <th scope="col">Key</th>
            <th scope="col">Organization</th>
            <th scope="col">Status</th>
            <th scope="col">Last used</th>
          </tr>
        </thead>
        <tbody>
          {detail.keys.map((k) => (
            <tr key={k.id}>
              <th scope="row">
                {k.name} <code className="small muted">{k.prefix}</code>
              </th>
              <td data-label="Organization">
                <span className="cell">{orgName(k.organizationId)}</span>
              </td>
              <td data-label="Status">
                <span className="cell">
                  <Badge tone={k.status === 'active' ? 'success' : 'neutral'} dot>
                    {k.status}
                  </Badge>{' '}
                  <span className="small muted">{k.environment}</span>
                </span>
              </td>
              <td data-label="Last used">
                <span className="cell">
                  <RelativeTime iso={k.lastUsedAt} />
                </span>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function Sessions({ detail }: { detail: AdminUserDetail }) {
  if (detail.sessions.length === 0) return <p className="muted">No active sessions.</p>;
  return (
    <ul className="admin-list">
      {detail.sessions.map((s) => (
        <li key={s.id} className="admin-list__item">
          <div className="admin-list__main">
            <span className="admin-list__title admin-list__ua">{s.userAgent || 'Unknown device'}</span>
            <span className="small muted">
              {s.ip ?? 'Unknown address'} · signed in <RelativeTime iso={s.createdAt} /> · last used <RelativeTime iso={s.lastUsedAt} />
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}

function RecentAudit({ detail }: { detail: AdminUserDetail }) {
  if (detail.recentAudit.length === 0) return <p className="muted">Nothing recorded yet.</p>;
  return (
    <>
      <ul className="admin-list">
        {detail.recentAudit.map((a) => (
          <li key={a.id} className="admin-list__item">
            <div className="admin-list__main">
              <code className="admin-list__title">{a.action}</code>
              <span className="small muted">
                <RelativeTime iso={a.createdAt} /> · {a.actorType}
                {a.ip ? ` · ${a.ip}` : ''}
                {a.reason ? ` · “${a.reason}”` : ''}
              </span>
            </div>
            {a.outcome !== 'success' && <Badge tone="danger">{a.outcome}</Badge>}
          </li>
        ))}
      </ul>
      <p className="small">
        <Link to={`/admin/audit?actorId=${encodeURIComponent(detail.user.id)}`}>Everything they did in the audit log</Link>
      </p>
    </>
  );
}

function ActionBar({
  detail,
  isSelf,
  onAction,
  onViewAs,
}: {
  detail: AdminUserDetail;
  isSelf: boolean;
  onAction: (a: UserAction) => void;
  onViewAs: () => void;
}) {
  const { user } = detail;
  if (user.status === 'deleted') return <p className="muted">This account was deleted; nothing more can be done with it.</p>;
  const button = (action: UserAction, label: string, danger = false) => (
    <button type="button" className={`btn btn--sm ${danger ? 'btn--danger-outline' : 'btn--secondary'}`} onClick={() => onAction(action)}>
      {label}
    </button>
  );
  return (
    <div className="admin-detail__actions">
      {isSelf && (
        <p className="small muted admin-detail__self">
          This is your account: another administrator has to suspend, demote, reset or delete it.
        </p>
      )}
      <div className="admin-actions" role="group" aria-label="Actions">
        {canViewAs(user, isSelf) && (
          <button type="button" className="btn btn--sm btn--primary" onClick={onViewAs}>
            View as customer
          </button>
        )}
        {!isSelf && user.status === 'active' && button('suspend', 'Suspend', true)}
        {user.status === 'suspended' && button('reactivate', 'Reactivate')}
        {!isSelf && button('role', 'Change role')}
        {!isSelf && user.twoFactor && button('reset-2fa', 'Reset 2FA')}
        {button('revoke-sessions', 'Revoke sessions')}
        {!user.emailVerified && user.status === 'active' && button('resend-verification', 'Resend verification')}
        {!isSelf && button('delete', 'Delete', true)}
      </div>
    </div>
  );
}

/** The drawer at `/admin/users/{id}`: everything about one user, and the actions an administrator can take. */
export function UserDetailDialog({
  id,
  selfId,
  plans,
  onChanged,
  onDeleted,
  onClose,
}: {
  id: string;
  selfId: string | undefined;
  plans: AdminPlan[] | undefined;
  /** Something changed: the list behind refreshes. */
  onChanged: () => void;
  onDeleted: (text: string) => void;
  onClose: () => void;
}) {
  const detail = useRequest((signal) => getUser(id, signal), { key: id });
  const [action, setAction] = useState<UserAction | null>(null);
  const [viewingAs, setViewingAs] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  const done = (result: ActionResult) => {
    setAction(null);
    if (result.deleted) {
      onDeleted(result.text);
      return;
    }
    setMessage(result.text);
    detail.refresh();
    onChanged();
  };

  const data = detail.data;
  let body;
  if (detail.isLoading) {
    body = <LoadingBlock label="Loading the user…" />;
  } else if (detail.error && !data) {
    body =
      detail.error.code === 'USER_NOT_FOUND' || detail.error.status === 404 ? (
        <EmptyState title="No such user">
          <p>There is no user with the id {id}. It may have been mistyped.</p>
        </EmptyState>
      ) : (
        <AdminLoadError error={detail.error} title="Could not load the user" onRetry={detail.refresh} />
      );
  } else if (data) {
    body = (
      <div className="admin-detail">
        <ActionBar
          detail={data}
          isSelf={data.user.id === selfId}
          onAction={(a) => {
            setMessage(null);
            setAction(a);
          }}
          onViewAs={() => {
            setMessage(null);
            setViewingAs(true);
          }}
        />
        <Section id="user-profile" title="Profile">
          <Profile detail={data} />
        </Section>
        <Section id="user-organizations" title="Organizations">
          <Organizations detail={data} />
        </Section>
        <Section id="user-subscription" title="Subscription and usage this period">
          <SubscriptionUsage detail={data} plans={plans} />
        </Section>
        <Section id="user-keys" title="API keys">
          <Keys detail={data} />
        </Section>
        <Section id="user-sessions" title="Sessions">
          <Sessions detail={data} />
        </Section>
        <Section id="user-audit" title="Recent activity">
          <RecentAudit detail={data} />
        </Section>
      </div>
    );
  }

  return (
    <Dialog title={data ? displayName(data.user) : 'User'} description={data?.user.email} onClose={onClose} drawer wide>
      <div role="status" aria-live="polite" className={message ? 'inline-message inline-message--ok' : 'admin-live'}>
        {message}
      </div>
      {body}
      {action && data && <UserActionDialog action={action} detail={data} onDone={done} onClose={() => setAction(null)} />}
      {viewingAs && data && <ViewAsDialog detail={data} onClose={() => setViewingAs(false)} />}
    </Dialog>
  );
}
