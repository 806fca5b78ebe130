import { useState } from 'react';
import { CopyButton } from '@/components/copy-button';
import { Dialog } from '@/components/dialog';
import { TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { formatDate } from '@/lib/format';
import type { CreatedServiceToken } from '@/types';
import { createServiceToken } from '../api/service-tokens';
import { expiryError, expiryInstant, localDate, nameError, NAME_MAX, SCOPES } from '../lib/token-form';

const FIELDS = ['name', 'scopes', 'expiresAt'] as const;

/** The whole token, shown once: copy it, then confirm. */
function TokenOnce({ created, onDone }: { created: CreatedServiceToken; onDone: () => void }) {
  return (
    <div className="secret-panel">
      <div className="callout callout--warning" role="note">
        <strong>This is the only time the token is shown.</strong> Tollgate keeps only a hash of it. Put it in the service&apos;s
        secret store now; if it is lost, revoke it and create another.
      </div>
      <div className="secret-panel__key">
        <p className="field__label">
          {created.name} <span className="muted">({created.scopes.join(', ')})</span>
        </p>
        <code className="secret-panel__value" data-testid="service-token-secret">
          {created.token}
        </code>
        <div className="secret-panel__actions">
          <CopyButton text={created.token} label="Copy token" />
        </div>
      </div>
      <p className="muted small">
        Send it as <code>Authorization: Bearer …</code> to <code>POST /v1/keys/verify</code>.{' '}
        {created.expiresAt ? `It stops working ${formatDate(created.expiresAt)}.` : 'It does not expire.'}
      </p>
      <div className="form__actions dialog__actions">
        <button type="button" className="btn btn--primary" onClick={onDone}>
          I have stored the token
        </button>
      </div>
    </div>
  );
}

export function CreateTokenDialog({
  onCreated,
  onClose,
}: {
  /** A token was created (the list can refresh behind the dialog). */
  onCreated: (token: CreatedServiceToken) => void;
  onClose: () => void;
}) {
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<string[]>(['keys:verify']);
  const [expires, setExpires] = useState('');
  const [created, setCreated] = useState<CreatedServiceToken | null>(null);
  const form = useForm(FIELDS);

  const onSubmit = form.handleSubmit(
    async () => {
      const token = await createServiceToken({
        name: name.trim(),
        scopes,
        ...(expires ? { expiresAt: expiryInstant(expires) } : {}),
      });
      setCreated(token);
      onCreated(token);
    },
    () => {
      const errors: Partial<Record<(typeof FIELDS)[number], string>> = {};
      const n = nameError(name);
      if (n) errors.name = n;
      if (scopes.length === 0) errors.scopes = 'Choose at least one scope.';
      const e = expiryError(expires);
      if (e) errors.expiresAt = e;
      return errors;
    },
  );

  if (created) {
    // No close button and no Escape: the token must be acknowledged.
    return (
      <Dialog title="Copy the token now" stepKey="token">
        <TokenOnce created={created} onDone={onClose} />
      </Dialog>
    );
  }

  const scopeField = form.field('scopes');
  const tomorrow = new Date();
  tomorrow.setDate(tomorrow.getDate() + 1);
  return (
    <Dialog
      title="Create a service token"
      description="For your own backends: a service token lets them verify any customer's API key. Give each service its own."
      onClose={onClose}
      stepKey="form"
    >
      <form className="form" noValidate onSubmit={onSubmit} aria-label="Create a service token">
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('name')}
          label="Name"
          hint="What uses it, e.g. “Orders service”."
          autoComplete="off"
          maxLength={NAME_MAX}
          value={name}
          onChange={(e) => setName(e.target.value)}
        />
        <fieldset className="field choice" aria-describedby={scopeField.error ? `${scopeField.id}-error` : undefined}>
          <legend className="field__label">Scopes</legend>
          {SCOPES.map((s, i) => (
            <label key={s.value} className="checkbox-field">
              <input
                type="checkbox"
                id={i === 0 ? scopeField.id : undefined}
                checked={scopes.includes(s.value)}
                aria-invalid={scopeField.error ? true : undefined}
                onChange={(e) =>
                  setScopes((current) => (e.target.checked ? [...current, s.value] : current.filter((v) => v !== s.value)))
                }
              />
              <span>
                <code>{s.label}</code> <span className="muted small">— {s.text}</span>
              </span>
            </label>
          ))}
          {scopeField.error && (
            <p id={`${scopeField.id}-error`} className="field__error">
              {scopeField.error}
            </p>
          )}
        </fieldset>
        <TextField
          {...form.field('expiresAt')}
          type="date"
          label="Expires on"
          optional
          min={localDate(tomorrow)}
          hint="It stops working at the end of that day. Empty: it never expires."
          value={expires}
          onChange={(e) => setExpires(e.target.value)}
        />
        <div className="form__actions dialog__actions">
          <SubmitButton pending={form.pending} pendingLabel="Creating…">
            Create token
          </SubmitButton>
          <button type="button" className="btn btn--secondary" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}
