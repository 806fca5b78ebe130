import { useState } from 'react';
import { Dialog } from '@/components/dialog';
import { TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { compact } from '@/lib/validation';
import type { ApiKey } from '@/types';
import { updateApiKey } from '../api/api-keys';
import { nameError, NAME_MAX } from '../lib/key-form';

export function RenameKeyDialog({
  apiKey,
  onRenamed,
  onClose,
}: {
  apiKey: ApiKey;
  onRenamed: (key: ApiKey) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState(apiKey.name);
  const form = useForm(['name'] as const, {
    codes: { KEY_REVOKED: { message: 'This key has been revoked; a revoked key cannot change.' } },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      const next = name.trim();
      if (next === apiKey.name) return onClose();
      onRenamed(await updateApiKey(apiKey.id, { name: next }));
    },
    () => compact({ name: nameError(name) }),
  );

  return (
    <Dialog title="Rename key" description={<>The key itself does not change; only its label in the dashboard.</>} onClose={onClose}>
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Rename key">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField {...form.field('name')} label="Name" autoComplete="off" maxLength={NAME_MAX} value={name} onChange={(e) => setName(e.target.value)} />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Saving…">
            Save name
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
