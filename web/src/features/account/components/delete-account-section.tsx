import { useState } from 'react';
import { PasswordField, TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { compact, requiredError } from '@/lib/validation';
import { useAuthStore } from '@/stores/auth-store';
import { deleteAccount } from '../api/profile';
import { SettingsSection } from './settings-section';

export function DeleteAccountSection() {
  const [open, setOpen] = useState(false);
  const [values, setValues] = useState({ password: '', confirmation: '' });
  const form = useForm(['password', 'confirmation'] as const, {
    codes: { INVALID_PASSWORD: { field: 'password', message: 'Your password is incorrect.' } },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      await deleteAccount(values.password);
      useAuthStore.getState().signedOut('account-deleted');
    },
    () =>
      compact({
        password: requiredError(values.password, 'Enter your password.'),
        confirmation: values.confirmation === 'DELETE' ? undefined : 'Type DELETE, in capital letters, to confirm.',
      }),
  );

  return (
    <SettingsSection
      id="delete-account"
      title="Delete account"
      danger
      description="Your personal data is erased, every session ends and the API keys of your personal organization are revoked. This cannot be undone."
    >
      {!open ? (
        <div className="form__actions">
          <button
            type="button"
            className="btn btn--danger-outline"
            onClick={() => {
              setOpen(true);
              window.setTimeout(() => document.getElementById(form.fieldId('password'))?.focus(), 0);
            }}
          >
            Delete my account…
          </button>
        </div>
      ) : (
        <form className="form" noValidate onSubmit={onSubmit} aria-label="Delete account">
          <FormAlert error={form.formError} alertRef={form.alertRef} />
          <div className="form__grid">
            <PasswordField
              {...form.field('password')}
              label="Password"
              autoComplete="current-password"
              maxLength={256}
              value={values.password}
              onChange={(e) => setValues((v) => ({ ...v, password: e.target.value }))}
            />
            <TextField
              {...form.field('confirmation')}
              label={
                <>
                  Type <strong>DELETE</strong> to confirm
                </>
              }
              autoComplete="off"
              autoCapitalize="characters"
              spellCheck={false}
              value={values.confirmation}
              onChange={(e) => setValues((v) => ({ ...v, confirmation: e.target.value }))}
            />
          </div>
          <div className="form__actions">
            <SubmitButton pending={form.pending} pendingLabel="Deleting…" variant="danger">
              Delete account permanently
            </SubmitButton>
            <button
              type="button"
              className="btn btn--secondary"
              onClick={() => {
                setOpen(false);
                setValues({ password: '', confirmation: '' });
                form.reset();
              }}
            >
              Cancel
            </button>
          </div>
        </form>
      )}
    </SettingsSection>
  );
}
