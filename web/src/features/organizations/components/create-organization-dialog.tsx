import { useState, type RefObject } from 'react';
import { Dialog } from '@/components/dialog';
import { TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import type { Organization } from '@/types';
import { createOrganization } from '../api/organizations';
import { ORGANIZATION_NAME_MAX, organizationNameError } from '../lib/organization-form';
import { organizationErrorMessage } from '../lib/messages';

/** Asks for a name and creates a team organization owned by the user. */
export function CreateOrganizationDialog({
  onCreated,
  onClose,
  returnFocusRef,
}: {
  onCreated: (org: Organization) => void;
  onClose: () => void;
  returnFocusRef?: RefObject<HTMLElement>;
}) {
  const [name, setName] = useState('');
  const form = useForm(['name'] as const, {
    codes: { ORGANIZATION_LIMIT_REACHED: { message: organizationErrorMessage } },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      onCreated(await createOrganization(name.trim()));
    },
    () => {
      const error = organizationNameError(name);
      return error ? { name: error } : {};
    },
  );

  return (
    <Dialog
      title="Create an organization"
      description="A team organization has its own API keys, plan, usage and invoices, and you can invite people into it. You will be its owner."
      onClose={onClose}
      returnFocusRef={returnFocusRef}
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Create an organization">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('name')}
          label="Name"
          hint="Your team or company, e.g. “Acme Inc”. You can change it later."
          autoComplete="organization"
          maxLength={ORGANIZATION_NAME_MAX}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Creating…">
            Create organization
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
