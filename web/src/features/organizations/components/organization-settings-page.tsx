import { useRef, useState, type ChangeEvent } from 'react';
import { Link, useNavigate } from 'react-router-dom';
import { Badge } from '@/components/badge';
import { Dialog } from '@/components/dialog';
import { ErrorState } from '@/components/error-state';
import { SelectField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { PageHeader } from '@/components/page-header';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { useRequest } from '@/hooks/use-request';
import type { ApiError } from '@/lib/api-client';
import { formatDate } from '@/lib/format';
import { compact } from '@/lib/validation';
import { useOrganizationStore } from '@/stores/organization-store';
import type { Member, Organization, UpdateOrganizationRequest } from '@/types';
import { deleteOrganization, getOrganization, leaveOrganization, listMembers, transferOwnership, updateOrganization } from '../api/organizations';
import { reloadOrganizations, useOrganizationList } from '../hooks/use-organizations';
import { ORGANIZATION_CODE_RULES, isRoleForbidden, organizationErrorMessage } from '../lib/messages';
import { billingEmailError, EMAIL_MAX, ORGANIZATION_NAME_MAX, organizationNameError } from '../lib/organization-form';
import { canDelete, canLeave, canManageSettings, canTransfer, organizationLabel, ROLE_LABELS } from '../lib/roles';
import { ConfirmDialog } from './confirm-dialog';
import { OrgSection } from './org-section';
import { OrganizationTabs } from './organization-tabs';
import { PersonalOrganizationNote } from './personal-organization-note';

type Message = { tone: 'ok' | 'error'; text: string } | null;

/** Called with a 403 ORGANIZATION_ROLE_FORBIDDEN: the page says so and reloads to match the role. */
type OnForbidden = (error: ApiError) => void;

function memberName(m: Member): string {
  return m.name ? `${m.name} (${m.email})` : m.email;
}

function DetailsSection({ org, onSaved, onForbidden }: { org: Organization; onSaved: (org: Organization) => void; onForbidden: OnForbidden }) {
  const [values, setValues] = useState({ name: org.name, billingEmail: org.billingEmail ?? '' });
  const [saved, setSaved] = useState(false);
  const form = useForm(['name', 'billingEmail'] as const, { codes: ORGANIZATION_CODE_RULES });
  const editable = canManageSettings(org.role);

  const set = (key: keyof typeof values) => (e: ChangeEvent<HTMLInputElement>) => {
    setSaved(false);
    setValues((v) => ({ ...v, [key]: e.target.value }));
  };

  const onSubmit = form.handleSubmit(
    async () => {
      const changes: UpdateOrganizationRequest = {};
      const name = values.name.trim();
      const billingEmail = values.billingEmail.trim() || null;
      if (name !== org.name) changes.name = name;
      if (billingEmail !== (org.billingEmail ?? null)) changes.billingEmail = billingEmail;
      if (Object.keys(changes).length === 0) {
        setSaved(true);
        return;
      }
      try {
        const updated = await updateOrganization(changes);
        setValues({ name: updated.name, billingEmail: updated.billingEmail ?? '' });
        setSaved(true);
        onSaved(updated);
      } catch (err) {
        if (isRoleForbidden(err)) {
          onForbidden(err);
          return;
        }
        throw err;
      }
    },
    () =>
      compact({
        // A personal organization's name is not shown in the switcher ("Personal"), but it can still be set.
        name: organizationNameError(values.name),
        billingEmail: billingEmailError(values.billingEmail),
      }),
  );

  if (!editable) {
    return (
      <OrgSection id="details" title="Details" description="Only the owner and admins can change these.">
        <dl className="org-facts">
          <div>
            <dt>Name</dt>
            <dd>{org.name}</dd>
          </div>
          <div>
            <dt>Billing email</dt>
            <dd>{org.billingEmail ?? <span className="muted">Not set: invoices go to the owner</span>}</dd>
          </div>
        </dl>
      </OrgSection>
    );
  }

  return (
    <OrgSection id="details" title="Details" description="The organization's name, and where its invoices are sent.">
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Organization details">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {saved && <Notice>Saved.</Notice>}
        <div className="form__grid">
          <TextField
            {...form.field('name')}
            label="Name"
            autoComplete="organization"
            maxLength={ORGANIZATION_NAME_MAX}
            value={values.name}
            onChange={set('name')}
          />
          <TextField
            {...form.field('billingEmail')}
            label="Billing email"
            optional
            type="email"
            inputMode="email"
            autoComplete="email"
            maxLength={EMAIL_MAX}
            hint="Invoices and payment notices go here. Empty: they go to the owner."
            value={values.billingEmail}
            onChange={set('billingEmail')}
          />
        </div>
        <div className="form__actions">
          <SubmitButton pending={form.pending} pendingLabel="Saving…">
            Save changes
          </SubmitButton>
        </div>
      </form>
    </OrgSection>
  );
}

function TransferSection({ onTransferred, onForbidden }: { onTransferred: (to: Member) => void; onForbidden: OnForbidden }) {
  const members = useRequest(listMembers);
  const [choice, setChoice] = useState('');
  const [confirming, setConfirming] = useState<Member | null>(null);
  const [choiceError, setChoiceError] = useState<string | undefined>();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const candidates = (members.data ?? []).filter((m) => m.role !== 'OWNER');

  let body;
  if (members.isLoading) {
    body = <LoadingBlock label="Loading members…" />;
  } else if (members.error && !members.data) {
    body = <ErrorState error={members.error} title="Could not load the members" onRetry={members.refresh} />;
  } else if (candidates.length === 0) {
    body = (
      <p className="muted">
        There is nobody to transfer it to yet. <Link to="/organization/members">Invite a member</Link> first.
      </p>
    );
  } else {
    body = (
      <form
        className="form"
        noValidate
        aria-label="Transfer ownership"
        onSubmit={(e) => {
          e.preventDefault();
          const member = candidates.find((m) => m.userId === choice);
          if (!member) {
            setChoiceError('Choose the member who becomes the owner.');
            document.getElementById('transfer-to')?.focus();
            return;
          }
          setChoiceError(undefined);
          setConfirming(member);
        }}
      >
        <SelectField id="transfer-to" name="userId" label="New owner" error={choiceError} value={choice} onChange={(e) => setChoice(e.target.value)}>
          <option value="">Choose a member…</option>
          {candidates.map((m) => (
            <option key={m.userId} value={m.userId}>
              {memberName(m)} · {ROLE_LABELS[m.role]}
            </option>
          ))}
        </SelectField>
        <div className="form__actions">
          <button ref={buttonRef} type="submit" className="btn btn--danger-outline">
            Transfer ownership…
          </button>
        </div>
      </form>
    );
  }

  return (
    <OrgSection
      id="transfer"
      title="Transfer ownership"
      danger
      description="The member you choose becomes the owner; you become an admin. Only the owner can delete the organization or transfer it again."
    >
      {body}
      {confirming && (
        <ConfirmDialog
          title="Transfer ownership?"
          description={
            <p>
              <strong>{memberName(confirming)}</strong> becomes the owner of this organization and you become an admin. You
              cannot undo this yourself.
            </p>
          }
          confirmLabel="Transfer ownership"
          pendingLabel="Transferring…"
          returnFocusRef={buttonRef}
          onClose={() => setConfirming(null)}
          onConfirm={async () => {
            try {
              await transferOwnership(confirming.userId);
            } catch (err) {
              if (isRoleForbidden(err)) {
                setConfirming(null);
                onForbidden(err);
                return;
              }
              throw err;
            }
            setConfirming(null);
            onTransferred(confirming);
          }}
        />
      )}
    </OrgSection>
  );
}

function DeleteDialog({ org, onDeleted, onClose, onForbidden }: { org: Organization; onDeleted: () => void; onClose: () => void; onForbidden: OnForbidden }) {
  const [typed, setTyped] = useState('');
  const form = useForm(['confirmation'] as const, { codes: ORGANIZATION_CODE_RULES });
  const onSubmit = form.handleSubmit(
    async () => {
      try {
        await deleteOrganization();
      } catch (err) {
        if (isRoleForbidden(err)) {
          onForbidden(err);
          return;
        }
        throw err;
      }
      onDeleted();
    },
    () =>
      typed.trim() === org.name.trim()
        ? {}
        : { confirmation: typed.trim() ? 'That is not the name of this organization. Type it exactly as shown.' : 'Type the organization name to confirm.' },
  );
  return (
    <Dialog
      title="Delete organization"
      tone="danger"
      onClose={onClose}
      description={
        <p>
          <strong>{org.name}</strong> is deleted for everyone: its API keys stop working at once, pending invitations are
          revoked and its subscription ends. This cannot be undone.
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Delete organization">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('confirmation')}
          label={
            <>
              Type <strong className="confirm-name">{org.name}</strong> to confirm
            </>
          }
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Deleting…" variant="danger">
            Delete organization
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

export function OrganizationSettingsPage() {
  useDocumentTitle('Organization');
  const organization = useRequest(getOrganization);
  const navigate = useNavigate();
  const select = useOrganizationStore((s) => s.select);
  const upsert = useOrganizationList((s) => s.upsert);
  const removeFromList = useOrganizationList((s) => s.remove);
  const [message, setMessage] = useState<Message>(null);
  const [open, setOpen] = useState<'leave' | 'delete' | null>(null);
  // Remounts the details form with fresh values after the organization changed under it.
  const [formKey, setFormKey] = useState(0);
  const leaveRef = useRef<HTMLButtonElement>(null);
  const deleteRef = useRef<HTMLButtonElement>(null);
  const org = organization.data;

  const onForbidden: OnForbidden = (error) => {
    setOpen(null);
    setMessage({ tone: 'error', text: `${organizationErrorMessage(error)} The page has been reloaded to show what your role allows.` });
    organization.refresh();
    setFormKey((k) => k + 1);
    reloadOrganizations();
  };

  const leftOrDeleted = (text: string) => {
    if (!org) return;
    removeFromList(org.id);
    navigate('/dashboard');
    select(null, { tone: 'info', text });
    reloadOrganizations();
  };

  let body;
  if (organization.isLoading) {
    body = <LoadingBlock label="Loading the organization…" />;
  } else if (organization.error && !org) {
    body = <ErrorState error={organization.error} title="Could not load the organization" onRetry={organization.refresh} />;
  } else if (org) {
    body = (
      <div className="settings__sections">
        {org.personal && <PersonalOrganizationNote />}
        <DetailsSection
          key={formKey}
          org={org}
          onForbidden={onForbidden}
          onSaved={(updated) => {
            upsert(updated);
            organization.refresh();
          }}
        />
        {canTransfer(org) && (
          <TransferSection
            onForbidden={onForbidden}
            onTransferred={(to) => {
              setMessage({ tone: 'ok', text: `${to.name ?? to.email} is now the owner. You are an admin.` });
              organization.refresh();
              reloadOrganizations();
            }}
          />
        )}
        {canLeave(org) && (
          <OrgSection
            id="leave"
            title="Leave organization"
            danger
            description="You lose access to its keys, usage and billing at once. To come back, someone has to invite you again."
          >
            <div className="form__actions">
              <button ref={leaveRef} type="button" className="btn btn--danger-outline" onClick={() => setOpen('leave')}>
                Leave organization…
              </button>
            </div>
          </OrgSection>
        )}
        {canDelete(org) && (
          <OrgSection
            id="delete"
            title="Delete organization"
            danger
            description="Its API keys stop working at once, pending invitations are revoked and its subscription ends. This cannot be undone."
          >
            <div className="form__actions">
              <button ref={deleteRef} type="button" className="btn btn--danger-outline" onClick={() => setOpen('delete')}>
                Delete organization…
              </button>
            </div>
          </OrgSection>
        )}
        {!org.personal && org.role === 'OWNER' && (
          <p className="muted small">The owner cannot leave: transfer ownership to another member first, or delete the organization.</p>
        )}
      </div>
    );
  }

  return (
    <div className="page org-page">
      <PageHeader
        title="Organization"
        description={
          org ? (
            <>
              <strong>{organizationLabel(org)}</strong> · your role: {ROLE_LABELS[org.role]} · {org.memberCount} member
              {org.memberCount === 1 ? '' : 's'} · created {formatDate(org.createdAt)}
              {org.status === 'suspended' && (
                <>
                  {' '}
                  <Badge tone="danger">Suspended</Badge>
                </>
              )}
            </>
          ) : (
            'The organization you are working in.'
          )
        }
      />
      <OrganizationTabs />
      <div role="status" className={message ? `inline-message inline-message--${message.tone}` : undefined} data-testid="org-message">
        {message?.text}
      </div>
      {body}

      {open === 'leave' && org && (
        <ConfirmDialog
          title="Leave organization?"
          description={
            <p>
              You will no longer be a member of <strong>{org.name}</strong>. Its keys, usage and billing disappear from your
              dashboard, and you return to your personal organization.
            </p>
          }
          confirmLabel="Leave organization"
          pendingLabel="Leaving…"
          returnFocusRef={leaveRef}
          onClose={() => setOpen(null)}
          onConfirm={async () => {
            try {
              await leaveOrganization();
            } catch (err) {
              if (isRoleForbidden(err)) {
                onForbidden(err);
                return;
              }
              throw err;
            }
            setOpen(null);
            leftOrDeleted(`You left “${org.name}”. You are now in your personal organization.`);
          }}
        />
      )}
      {open === 'delete' && org && (
        <DeleteDialog
          org={org}
          onClose={() => setOpen(null)}
          onForbidden={onForbidden}
          onDeleted={() => {
            setOpen(null);
            leftOrDeleted(`Deleted “${org.name}”. Its API keys no longer work. You are now in your personal organization.`);
          }}
        />
      )}
    </div>
  );
}
