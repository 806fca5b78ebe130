import { useRef, useState } from 'react';
import { Badge } from '@/components/badge';
import { EmptyState } from '@/components/empty-state';
import { ErrorState } from '@/components/error-state';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { useRequest } from '@/hooks/use-request';
import { isApiError, toApiError, type ApiError } from '@/lib/api-client';
import { formatDate } from '@/lib/format';
import type { Invitation, Member, OrganizationRole } from '@/types';
import { listInvitations, resendInvitation, revokeInvitation } from '../api/organizations';
import { isRoleForbidden, organizationErrorMessage } from '../lib/messages';
import { mayManageRole, ROLE_LABELS } from '../lib/roles';
import { ConfirmDialog } from './confirm-dialog';
import { InviteForm } from './invite-form';
import { OrgSection } from './org-section';

type Message = { tone: 'ok' | 'error'; text: string } | null;

/** Invite form and the pending (or expired) invitations, with resend and revoke. OWNER and ADMIN only. */
export function InvitationsSection({
  viewerRole,
  members,
  onChanged,
  onForbidden,
}: {
  viewerRole: OrganizationRole;
  /** To name who sent each invitation. */
  members: Member[] | undefined;
  /** Invitations count against the plan's member limit: the page may want to refresh. */
  onChanged?: () => void;
  onForbidden: (error: ApiError) => void;
}) {
  const invitations = useRequest(listInvitations);
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const [revoking, setRevoking] = useState<Invitation | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const list = invitations.data ?? [];

  const inviter = (id: string | null) => {
    if (!id) return null;
    const m = members?.find((x) => x.userId === id);
    return m ? (m.name ?? m.email) : null;
  };

  const resend = async (inv: Invitation) => {
    if (busy) return;
    setBusy(inv.id);
    setMessage(null);
    try {
      await resendInvitation(inv.id);
      setMessage({ tone: 'ok', text: `Sent the invitation to ${inv.email} again, with a new link valid for 7 days. The previous link no longer works.` });
    } catch (err) {
      if (isRoleForbidden(err)) {
        onForbidden(err);
        return;
      }
      setMessage({ tone: 'error', text: `Could not resend to ${inv.email}: ${organizationErrorMessage(toApiError(err))}` });
    } finally {
      setBusy(null);
      invitations.refresh();
    }
  };

  let body;
  if (invitations.isLoading) {
    body = <LoadingBlock label="Loading invitations…" />;
  } else if (invitations.error && !invitations.data) {
    body = <ErrorState error={invitations.error} title="Could not load the invitations" onRetry={invitations.refresh} />;
  } else if (list.length === 0) {
    body = <EmptyState title="No pending invitations">People you invite appear here until they accept.</EmptyState>;
  } else {
    body = (
      <div className="table-wrap">
        <table className="table table--stack org-table" aria-label="Pending invitations">
          <thead>
            <tr>
              <th scope="col">Email</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Sent</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {list.map((inv) => {
              const manageable = mayManageRole(viewerRole, inv.role);
              const by = inviter(inv.invitedBy);
              return (
                <tr key={inv.id} data-testid="invitation-row">
                  <th scope="row" className="org-table__who">
                    {inv.email}
                  </th>
                  <Cell label="Role">{ROLE_LABELS[inv.role]}</Cell>
                  <Cell label="Status">
                    {inv.status === 'expired' ? (
                      <>
                        <Badge tone="warning">Expired</Badge> <span className="muted small">on {formatDate(inv.expiresAt)}</span>
                      </>
                    ) : (
                      <>
                        <Badge tone="info">Pending</Badge> <span className="muted small">until {formatDate(inv.expiresAt)}</span>
                      </>
                    )}
                  </Cell>
                  <Cell label="Sent">
                    {inv.sendCount === 1 ? 'Once' : `${inv.sendCount} times`}
                    {by ? ` · by ${by}` : ''}
                  </Cell>
                  <td className="org-table__actions">
                    {manageable ? (
                      <div className="org-actions">
                        <button
                          type="button"
                          className="btn btn--secondary btn--sm"
                          onClick={() => void resend(inv)}
                          aria-disabled={busy !== null || undefined}
                        >
                          {busy === inv.id ? 'Sending…' : 'Resend'}
                          <span className="sr-only"> invitation to {inv.email}</span>
                        </button>
                        <button
                          type="button"
                          className="btn btn--danger-outline btn--sm"
                          onClick={() => {
                            setMessage(null);
                            setRevoking(inv);
                          }}
                        >
                          Revoke<span className="sr-only"> invitation to {inv.email}</span>
                        </button>
                      </div>
                    ) : (
                      <span className="muted small">Only the owner manages admin invitations.</span>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    );
  }

  return (
    <OrgSection
      id="invitations"
      title="Invitations"
      headingRef={headingRef}
      description="An invitation is an email with a link valid for 7 days. Pending invitations count towards the plan's member limit."
    >
      <InviteForm
        viewerRole={viewerRole}
        onForbidden={onForbidden}
        onInvited={() => {
          setMessage(null);
          invitations.refresh();
          onChanged?.();
        }}
      />
      <h3 className="org-subtitle">Pending invitations</h3>
      <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined} data-testid="invitations-message">
        {message?.text}
      </div>
      {body}
      {revoking && (
        <ConfirmDialog
          title="Revoke invitation?"
          description={
            <p>
              The link sent to <strong>{revoking.email}</strong> stops working. You can invite the address again later.
            </p>
          }
          confirmLabel="Revoke invitation"
          pendingLabel="Revoking…"
          onClose={() => setRevoking(null)}
          onConfirm={async () => {
            try {
              await revokeInvitation(revoking.id);
            } catch (err) {
              if (isRoleForbidden(err)) {
                setRevoking(null);
                onForbidden(err);
                return;
              }
              // Already accepted, revoked or replaced: it is not pending any more either way.
              if (!(isApiError(err) && err.code === 'INVITATION_NOT_FOUND')) throw err;
            }
            setRevoking(null);
            setMessage({ tone: 'ok', text: `Revoked the invitation to ${revoking.email}.` });
            window.setTimeout(() => headingRef.current?.focus(), 0);
            invitations.refresh();
            onChanged?.();
          }}
        />
      )}
    </OrgSection>
  );
}
