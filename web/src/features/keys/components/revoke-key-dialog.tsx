import { useState } from 'react';
import { Dialog } from '@/components/dialog';
import { TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { isApiError } from '@/lib/api-client';
import type { ApiKey } from '@/types';
import { revokeApiKey } from '../api/api-keys';

/** Revoking is final, so the user types the key's name to confirm. */
export function RevokeKeyDialog({
  apiKey,
  onRevoked,
  onClose,
}: {
  apiKey: ApiKey;
  onRevoked: (key: ApiKey) => void;
  onClose: () => void;
}) {
  const [typed, setTyped] = useState('');
  const form = useForm(['confirmation'] as const);

  const onSubmit = form.handleSubmit(
    async () => {
      try {
        await revokeApiKey(apiKey.id);
      } catch (err) {
        // Already gone: the goal is reached.
        if (!(isApiError(err) && err.code === 'NOT_FOUND')) throw err;
      }
      onRevoked(apiKey);
    },
    () =>
      typed.trim() === apiKey.name.trim()
        ? {}
        : { confirmation: typed.trim() ? 'That is not the name of this key. Type it exactly as shown.' : 'Type the key name to confirm.' },
  );

  return (
    <Dialog
      title="Revoke API key"
      tone="danger"
      onClose={onClose}
      description={
        <>
          <p>
            <strong>{apiKey.name}</strong> (<code>{apiKey.prefix}…</code>) stops working at once, on every server. Calls
            with it are refused as <code>REVOKED</code>. This cannot be undone.
          </p>
          {apiKey.graceEndsAt && <p>It is in a rotation grace period; revoking it ends that period now.</p>}
        </>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Revoke API key">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('confirmation')}
          label={
            <>
              Type <strong className="confirm-name">{apiKey.name}</strong> to confirm
            </>
          }
          autoComplete="off"
          spellCheck={false}
          value={typed}
          onChange={(e) => setTyped(e.target.value)}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Revoking…" variant="danger">
            Revoke key
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
