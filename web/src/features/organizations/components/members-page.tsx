import { useId, useRef, useState } from 'react';
import { Badge } from '@/components/badge';
import { ErrorState } from '@/components/error-state';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { Cell } from '@/components/table-cell';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useRequest } from '@/hooks/use-request';
import { isApiError, toApiError, type ApiError } from '@/lib/api-client';
import { formatDate } from '@/lib/format';
import { useCurrentUser } from '@/stores/auth-store';
import type { AssignableRole, Member, Organization } from '@/types';
import { changeMemberRole, getOrganization, listMembers, removeMember } from '../api/organizations';
import { reloadOrganizations } from '../hooks/use-organizations';
import { isRoleForbidden, organizationErrorMessage } from '../lib/messages';
import { assignableRoles, canManageMembers, mayManageRole, organizationLabel, ROLE_LABELS } from '../lib/roles';
import { ConfirmDialog } from './confirm-dialog';
import { InvitationsSection } from './invitations-section';
import { OrgSection } from './org-section';
import { OrganizationTabs } from './organization-tabs';
import { PersonalOrganizationNote } from './personal-organization-note';

type Message = { tone: 'ok' | 'error'; text: string } | null;

function displayName(m: Member): string {
  return m.name ?? m.email;
}

/** The role of one member: a select plus Save when the viewer may change it, else a badge. */
function RoleControl({
  member,
  options,
  busy,
  onSave,
}: {
  member: Member;
  options: AssignableRole[] | null;
  busy: boolean;
  onSave: (role: AssignableRole) => void;
}) {
  const id = useId();
  const [value, setValue] = useState<string>(member.role);
  if (!options) {
    return <Badge tone={member.role === 'OWNER' ? 'info' : 'neutral'}>{ROLE_LABELS[member.role]}</Badge>;
  }
  const changed = value !== member.role;
  return (
    <form
      className="role-control"
      onSubmit={(e) => {
        e.preventDefault();
        if (changed && !busy) onSave(value as AssignableRole);
      }}
    >
      <label htmlFor={id} className="sr-only">
        Role of {member.email}
      </label>
      <select id={id} className="input input--select input--inline" value={value} onChange={(e) => setValue(e.target.value)}>
        {options.map((r) => (
          <option key={r} value={r}>
            {ROLE_LABELS[r]}
          </option>
        ))}
      </select>
      {changed && (
        <>
          <button type="submit" className="btn btn--primary btn--sm" aria-disabled={busy || undefined}>
            {busy ? 'Saving…' : 'Save'}
            <span className="sr-only"> role of {member.email}</span>
          </button>
          <button type="button" className="btn btn--secondary btn--sm" onClick={() => setValue(member.role)}>
            Undo<span className="sr-only"> role change of {member.email}</span>
          </button>
        </>
      )}
    </form>
  );
}

function MembersTable({
  org,
  members,
  me,
  busy,
  onRole,
  onRemove,
}: {
  org: Organization;
  members: Member[];
  me: string | undefined;
  busy: string | null;
  onRole: (member: Member, role: AssignableRole) => void;
  onRemove: (member: Member) => void;
}) {
  const viewerOptions = assignableRoles(org.role);
  return (
    <div className="table-wrap">
      <table className="table table--stack org-table" aria-label="Members">
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Name</th>
            <th scope="col">Role</th>
            <th scope="col">Joined</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {members.map((m) => {
            const self = m.userId === me;
            const manageable = !self && mayManageRole(org.role, m.role);
            return (
              <tr key={m.userId} data-testid="member-row">
                <th scope="row" className="org-table__who">
                  {m.email}
                  {self && (
                    <>
                      {' '}
                      <Badge tone="neutral">You</Badge>
                    </>
                  )}
                </th>
                <Cell label="Name">{m.name ?? <span className="muted">—</span>}</Cell>
                <Cell label="Role">
                  <RoleControl
                    // A new role from the server resets the select.
                    key={`${m.userId}:${m.role}`}
                    member={m}
                    options={manageable ? viewerOptions : null}
                    busy={busy === m.userId}
                    onSave={(role) => onRole(m, role)}
                  />
                </Cell>
                <Cell label="Joined">{formatDate(m.joinedAt)}</Cell>
                <td className="org-table__actions">
                  {manageable && (
                    <button type="button" className="btn btn--danger-outline btn--sm" onClick={() => onRemove(m)}>
                      Remove<span className="sr-only"> {m.email}</span>
                    </button>
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

export function MembersPage() {
  useDocumentTitle('Members');
  const organization = useRequest(getOrganization);
  const members = useRequest(listMembers);
  const me = useCurrentUser()?.id;
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<Message>(null);
  const [removing, setRemoving] = useState<Member | null>(null);
  const [invitationsKey, setInvitationsKey] = useState(0);
  const listHeadingRef = useRef<HTMLHeadingElement>(null);
  const org = organization.data;

  const onForbidden = (error: ApiError) => {
    setRemoving(null);
    setMessage({ tone: 'error', text: `${organizationErrorMessage(error)} The page has been reloaded to show what your role allows.` });
    organization.refresh();
    members.refresh();
    setInvitationsKey((k) => k + 1);
    reloadOrganizations();
  };

  const changeRole = async (member: Member, role: AssignableRole) => {
    if (busy) return;
    setBusy(member.userId);
    setMessage(null);
    try {
      await changeMemberRole(member.userId, role);
      setMessage({ tone: 'ok', text: `Changed the role of ${displayName(member)} to ${ROLE_LABELS[role]}.` });
    } catch (err) {
      if (isRoleForbidden(err)) {
        onForbidden(err);
        return;
      }
      setMessage({ tone: 'error', text: `Could not change the role of ${displayName(member)}: ${organizationErrorMessage(toApiError(err))}` });
    } finally {
      setBusy(null);
      members.refresh();
    }
  };

  let body;
  if (organization.isLoading || members.isLoading) {
    body = <LoadingBlock label="Loading members…" />;
  } else if (organization.error && !org) {
    body = <ErrorState error={organization.error} title="Could not load the organization" onRetry={organization.refresh} />;
  } else if (members.error && !members.data) {
    body = <ErrorState error={members.error} title="Could not load the members" onRetry={members.refresh} />;
  } else if (org && members.data) {
    const manager = canManageMembers(org.role);
    body = (
      <div className="settings__sections">
        {org.personal && <PersonalOrganizationNote />}
        <OrgSection
          id="members"
          title={`Members (${members.data.length})`}
          headingRef={listHeadingRef}
          description={
            org.personal
              ? undefined
              : manager
                ? org.role === 'OWNER'
                  ? 'Change roles or remove members. To hand over the organization, transfer ownership in Settings.'
                  : 'As an admin you manage members and billing-only members; the owner manages admins.'
                : 'Only the owner and admins can invite people, change roles or remove members.'
          }
        >
          <MembersTable
            org={org}
            members={members.data}
            me={me}
            busy={busy}
            onRole={(m, role) => void changeRole(m, role)}
            onRemove={(m) => {
              setMessage(null);
              setRemoving(m);
            }}
          />
        </OrgSection>
        {manager && !org.personal && (
          <InvitationsSection
            key={invitationsKey}
            viewerRole={org.role}
            members={members.data}
            onForbidden={onForbidden}
            onChanged={organization.refresh}
          />
        )}
      </div>
    );
  }

  return (
    <div className="page org-page">
      <PageHeader
        title="Members"
        description={
          org ? (
            <>
              People in <strong>{organizationLabel(org)}</strong> · your role: {ROLE_LABELS[org.role]}
            </>
          ) : (
            'People in the organization you are working in.'
          )
        }
      />
      <OrganizationTabs />
      <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined} data-testid="members-message">
        {message?.text}
      </div>
      {body}
      {removing && (
        <ConfirmDialog
          title="Remove member?"
          description={
            <p>
              <strong>{displayName(removing)}</strong> ({removing.email}) loses access to this organization with their next
              request: its keys, usage and billing. They keep their own account.
            </p>
          }
          confirmLabel="Remove member"
          pendingLabel="Removing…"
          onClose={() => setRemoving(null)}
          onConfirm={async () => {
            try {
              await removeMember(removing.userId);
            } catch (err) {
              if (isRoleForbidden(err)) {
                onForbidden(err);
                return;
              }
              // Gone already: the goal is reached.
              if (!(isApiError(err) && err.code === 'MEMBER_NOT_FOUND')) throw err;
            }
            setRemoving(null);
            setMessage({ tone: 'ok', text: `Removed ${displayName(removing)} from the organization.` });
            window.setTimeout(() => listHeadingRef.current?.focus(), 0);
            members.refresh();
            organization.refresh();
          }}
        />
      )}
    </div>
  );
}
