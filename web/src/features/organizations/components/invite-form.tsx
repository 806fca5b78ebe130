import { useState } from 'react';
import { SelectField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import type { ApiError } from '@/lib/api-client';
import { compact } from '@/lib/validation';
import type { AssignableRole, Invitation, OrganizationRole } from '@/types';
import { inviteMember } from '../api/organizations';
import { ORGANIZATION_CODE_RULES, isRoleForbidden, organizationErrorMessage } from '../lib/messages';
import { EMAIL_MAX, inviteEmailError } from '../lib/organization-form';
import { assignableRoles, ROLE_DESCRIPTIONS, ROLE_LABELS } from '../lib/roles';

const FIELDS = ['email', 'role'] as const;

/** Invites someone by email with a role the viewer may give; the server's field errors show next to the fields. */
export function InviteForm({
  viewerRole,
  onInvited,
  onForbidden,
}: {
  viewerRole: OrganizationRole;
  onInvited: (invitation: Invitation) => void;
  onForbidden: (error: ApiError) => void;
}) {
  const roles = assignableRoles(viewerRole);
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<AssignableRole>('MEMBER');
  const [sent, setSent] = useState<string | null>(null);
  const form = useForm(FIELDS, {
    codes: {
      ...ORGANIZATION_CODE_RULES,
      ALREADY_MEMBER: { field: 'email', message: organizationErrorMessage },
      INVITATION_PENDING: { field: 'email', message: organizationErrorMessage },
    },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      setSent(null);
      const address = email.trim();
      let invitation: Invitation;
      try {
        invitation = await inviteMember({ email: address, role });
      } catch (err) {
        if (isRoleForbidden(err)) {
          onForbidden(err);
          return;
        }
        throw err;
      }
      setSent(address);
      setEmail('');
      onInvited(invitation);
    },
    () => compact({ email: inviteEmailError(email), role: roles.includes(role) ? undefined : 'Choose a role.' }),
  );

  return (
    <form className="form invite-form" noValidate onSubmit={onSubmit} aria-label="Invite a member">
      <FormAlert error={form.formError} alertRef={form.alertRef} />
      {sent && <Notice>Invitation sent to {sent}. The link in it works for 7 days.</Notice>}
      <div className="invite-form__fields">
        <TextField
          {...form.field('email')}
          label="Email address"
          type="email"
          inputMode="email"
          autoComplete="off"
          spellCheck={false}
          autoCapitalize="none"
          maxLength={EMAIL_MAX}
          value={email}
          onChange={(e) => {
            setSent(null);
            setEmail(e.target.value);
          }}
        />
        <SelectField
          {...form.field('role')}
          label="Role"
          hint={ROLE_DESCRIPTIONS[role]}
          value={role}
          onChange={(e) => setRole(e.target.value as AssignableRole)}
        >
          {roles.map((r) => (
            <option key={r} value={r}>
              {ROLE_LABELS[r]}
            </option>
          ))}
        </SelectField>
      </div>
      <div className="form__actions">
        <SubmitButton pending={form.pending} pendingLabel="Sending…">
          Send invitation
        </SubmitButton>
      </div>
    </form>
  );
}
