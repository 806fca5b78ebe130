import { useState, type ChangeEvent } from 'react';
import { PasswordField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { useForm } from '@/hooks/use-form';
import { compact, newPasswordError, PASSWORD_MIN_LENGTH, requiredError } from '@/lib/validation';
import { changePassword } from '../api/profile';
import { SettingsSection } from './settings-section';

export function PasswordSection({ email }: { email: string }) {
  const [values, setValues] = useState({ currentPassword: '', newPassword: '', confirm: '' });
  const [done, setDone] = useState(false);
  const form = useForm(['currentPassword', 'newPassword', 'confirm'] as const, {
    codes: { INVALID_PASSWORD: { field: 'currentPassword', message: 'Your current password is incorrect.' } },
  });

  const set = (key: keyof typeof values) => (e: ChangeEvent<HTMLInputElement>) => {
    setDone(false);
    setValues((v) => ({ ...v, [key]: e.target.value }));
  };

  const onSubmit = form.handleSubmit(
    async () => {
      await changePassword(values.currentPassword, values.newPassword);
      setValues({ currentPassword: '', newPassword: '', confirm: '' });
      setDone(true);
    },
    () =>
      compact({
        currentPassword: requiredError(values.currentPassword, 'Enter your current password.'),
        newPassword:
          newPasswordError(values.newPassword) ??
          (values.newPassword === values.currentPassword ? 'Choose a password different from the current one.' : undefined),
        confirm:
          !newPasswordError(values.newPassword) && values.confirm !== values.newPassword ? 'The new passwords do not match.' : undefined,
      }),
  );

  return (
    <SettingsSection
      id="password"
      title="Password"
      description="Changing your password signs out every other device. This one stays signed in."
    >
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        {done && <Notice>Password changed. Other devices have been signed out, and we emailed you a confirmation.</Notice>}
        {/* Lets password managers file the new password under the right account. */}
        <input type="email" name="username" autoComplete="username" value={email} readOnly hidden />
        <PasswordField
          {...form.field('currentPassword')}
          label="Current password"
          autoComplete="current-password"
          maxLength={256}
          value={values.currentPassword}
          onChange={set('currentPassword')}
        />
        <div className="form__grid">
          <PasswordField
            {...form.field('newPassword')}
            label="New password"
            hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
            autoComplete="new-password"
            maxLength={256}
            value={values.newPassword}
            onChange={set('newPassword')}
          />
          <PasswordField
            {...form.field('confirm')}
            label="Confirm new password"
            autoComplete="new-password"
            maxLength={256}
            value={values.confirm}
            onChange={set('confirm')}
          />
        </div>
        <div className="form__actions">
          <SubmitButton pending={form.pending} pendingLabel="Changing…">
            Change password
          </SubmitButton>
        </div>
      </form>
    </SettingsSection>
  );
}
