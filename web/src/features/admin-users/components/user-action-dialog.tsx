import { useState } from 'react';
import { SelectField } from '@/components/form/fields';
import { ReasonDialog } from '@/components/reason-dialog';
import type { ApiError } from '@/lib/api-client';
import { formatNumber } from '@/lib/format';
import type { AdminUserDetail } from '@/types';
import {
  changeUserRole,
  deleteUser,
  reactivateUser,
  resendVerification,
  resetTwoFactor,
  revokeSessions,
  suspendUser,
  type UserRole,
} from '../api/admin-users';
import { displayName } from '../lib/user-labels';

export type UserAction = 'suspend' | 'reactivate' | 'role' | 'reset-2fa' | 'revoke-sessions' | 'resend-verification' | 'delete';

/** What the drawer says after an action, and whether the user still exists. */
export interface ActionResult {
  text: string;
  deleted?: boolean;
}

function ownedTeams(detail: AdminUserDetail): string[] {
  return detail.organizations.filter((o) => !o.personal && o.role === 'OWNER').map((o) => o.name);
}

/** One of the user actions, behind a confirmation that asks for the reason (optional only for a resend). */
export function UserActionDialog({
  action,
  detail,
  onDone,
  onClose,
}: {
  action: UserAction;
  detail: AdminUserDetail;
  onDone: (result: ActionResult) => void;
  onClose: () => void;
}) {
  const { user } = detail;
  const who = displayName(user);
  const [role, setRole] = useState<UserRole>(user.role === 'ADMIN' ? 'USER' : 'ADMIN');

  switch (action) {
    case 'suspend':
      return (
        <ReasonDialog
          title={`Suspend ${who}?`}
          description={
            <p>
              They are signed out of every session at once and cannot sign in until an administrator reactivates them. The
              API keys of organizations they own are refused (<code>DISABLED</code>) meanwhile.
            </p>
          }
          confirmLabel="Suspend user"
          pendingLabel="Suspending…"
          onClose={onClose}
          onConfirm={async (reason) => {
            await suspendUser(user.id, reason);
            onDone({ text: `Suspended ${who}. Their sessions have ended.` });
          }}
        />
      );
    case 'reactivate':
      return (
        <ReasonDialog
          title={`Reactivate ${who}?`}
          description={<p>They can sign in again with their password{user.twoFactor ? ' and authenticator' : ''}.</p>}
          tone="default"
          confirmLabel="Reactivate user"
          pendingLabel="Reactivating…"
          onClose={onClose}
          onConfirm={async (reason) => {
            await reactivateUser(user.id, reason);
            onDone({ text: `${who} is active again.` });
          }}
        />
      );
    case 'role':
      return (
        <ReasonDialog<'role'>
          title={`Change the role of ${who}`}
          description={
            <p>
              Administrators can use every admin page and API (after turning on two-factor authentication). The change
              applies to their next request.
            </p>
          }
          tone="default"
          confirmLabel="Change role"
          pendingLabel="Changing…"
          fields={['role']}
          renderFields={(field) => (
            <SelectField {...field('role')} label="New role" value={role} onChange={(e) => setRole(e.target.value as UserRole)}>
              <option value="USER">User: their own organizations only</option>
              <option value="ADMIN">Admin: the whole installation</option>
            </SelectField>
          )}
          validate={() => (role === user.role ? { role: `${who} already has this role; choose the other one.` } : {})}
          onClose={onClose}
          onConfirm={async (reason) => {
            await changeUserRole(user.id, role, reason);
            onDone({ text: role === 'ADMIN' ? `${who} is now an administrator.` : `${who} is no longer an administrator.` });
          }}
        />
      );
    case 'reset-2fa':
      return (
        <ReasonDialog
          title={`Reset two-factor authentication for ${who}?`}
          description={
            <p>
              Their authenticator and recovery codes stop working and they are signed out everywhere. They then sign in
              with their password alone and can set up two-factor authentication again. Confirm who they are first.
            </p>
          }
          confirmLabel="Reset two-factor"
          pendingLabel="Resetting…"
          onClose={onClose}
          onConfirm={async (reason) => {
            await resetTwoFactor(user.id, reason);
            onDone({ text: `Two-factor authentication for ${who} is off; their sessions have ended.` });
          }}
        />
      );
    case 'revoke-sessions':
      return (
        <ReasonDialog
          title={`Sign ${who} out everywhere?`}
          description={<p>Every session ends at once; they can sign in again. Their API keys are not affected.</p>}
          confirmLabel="Revoke sessions"
          pendingLabel="Revoking…"
          onClose={onClose}
          onConfirm={async (reason) => {
            const n = await revokeSessions(user.id, reason);
            onDone({ text: n === 0 ? `${who} had no active sessions.` : `Ended ${formatNumber(n)} session${n === 1 ? '' : 's'} of ${who}.` });
          }}
        />
      );
    case 'resend-verification':
      return (
        <ReasonDialog
          title={`Resend the verification email to ${user.email}?`}
          description={<p>A new link goes to their address; earlier links stop working.</p>}
          tone="default"
          reasonRequired={false}
          reasonHint="Recorded in the audit log when given."
          confirmLabel="Send email"
          pendingLabel="Sending…"
          onClose={onClose}
          onConfirm={async (reason) => {
            await resendVerification(user.id, reason);
            onDone({ text: `Sent a new verification link to ${user.email}.` });
          }}
        />
      );
    case 'delete': {
      const teams = ownedTeams(detail);
      return (
        <ReasonDialog
          title={`Delete ${who}?`}
          description={
            <p>
              Their personal data is removed, their personal organization is deleted and its API keys revoked, they leave
              every other organization and are signed out. <strong>This cannot be undone.</strong>
              {teams.length > 0 && (
                <>
                  {' '}
                  They own {teams.join(', ')}: ownership must move to another member (or those organizations be deleted) first.
                </>
              )}
            </p>
          }
          confirmLabel="Delete user"
          pendingLabel="Deleting…"
          codes={{
            OWNS_ORGANIZATIONS: {
              message: (e: ApiError) =>
                `${who} owns ${teams.length > 0 ? teams.join(', ') : 'team organizations'}, so the account cannot be deleted yet. ${e.detail ?? ''}`.trim(),
            },
          }}
          onClose={onClose}
          onConfirm={async (reason) => {
            await deleteUser(user.id, reason);
            onDone({ text: `Deleted ${who} (${user.email}).`, deleted: true });
          }}
        />
      );
    }
  }
}
