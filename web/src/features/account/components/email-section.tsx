import { useState } from 'react';
import { Badge } from '@/components/badge';
import { PasswordField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { compact, emailError, requiredError } from '@/lib/validation';
import type { User } from '@/types';
import { changeEmail } from '../api/profile';
import { SettingsSection } from './settings-section';

export function EmailSection({ user }: { user: User }) {
  const [values, setValues] = useState({ newEmail: '', password: '' });
  const [sentTo, setSentTo] = useState<string | null>(null);
  const form = useForm(['newEmail', 'password'] as const, {
    codes: {
      INVALID_PASSWORD: { field: 'password', message: 'Your password is incorrect.' },
      EMAIL_TAKEN: { field: 'newEmail', message: 'Another account already uses this email address.' },
    },
  });

  const onSubmit = form.handleSubmit(
    async () => {
      const address = values.newEmail.trim();
      await changeEmail(values.password, address);
      setValues({ newEmail: '', password: '' });
      setSentTo(address);
    },
    () =>
      compact({
        newEmail:
          emailError(values.newEmail) ??
          (values.newEmail.trim().toLowerCase() === user.email.toLowerCase() ? 'This is already your email address.' : undefined),
        password: requiredError(values.password, 'Enter your password to confirm.'),
      }),
  );

  return (
    <SettingsSection
      id="email"
      title="Email address"
      description="We send a confirmation link to the new address; the change happens when you open it."
    >
      <p className="settings-current">
        <span className="muted">Current address</span> <strong>{user.email}</strong>{' '}
        {user.emailVerified ? <Badge tone="success">Verified</Badge> : <Badge tone="warning">Not verified</Badge>}
      </p>
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {sentTo && (
          <Notice>
            Check <strong>{sentTo}</strong> for a confirmation link. Your address stays {user.email} until you open it.
          </Notice>
        )}
        <div className="form__grid">
          <TextField
            {...form.field('newEmail')}
            label="New email address"
            type="email"
            inputMode="email"
            autoComplete="email"
            maxLength={254}
            value={values.newEmail}
            onChange={(e) => {
              setSentTo(null);
              setValues((v) => ({ ...v, newEmail: e.target.value }));
            }}
          />
          <PasswordField
            {...form.field('password')}
            label="Password"
            autoComplete="current-password"
            maxLength={256}
            value={values.password}
            onChange={(e) => setValues((v) => ({ ...v, password: e.target.value }))}
          />
        </div>
        <div className="form__actions">
          <SubmitButton pending={form.pending} pendingLabel="Sending…">
            Change email
          </SubmitButton>
        </div>
      </form>
    </SettingsSection>
  );
}
