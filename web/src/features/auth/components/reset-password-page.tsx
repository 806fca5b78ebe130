import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { PasswordField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { isApiError } from '@/lib/api-client';
import { compact, newPasswordError, PASSWORD_MIN_LENGTH } from '@/lib/validation';
import { useAuthStore } from '@/stores/auth-store';
import { resetPassword } from '../api/password-reset';
import { AuthCard } from './auth-card';

function BadLink({ title, text }: { title: string; text: string }) {
  return (
    <AuthCard
      title={title}
      footer={
        <p>
          <Link to="/login">Back to sign in</Link>
        </p>
      }
    >
      <div className="prose" role="alert">
        <p>{text}</p>
      </div>
      <Link to="/forgot-password" className="btn btn--primary btn--block">
        Request a new link
      </Link>
    </AuthCard>
  );
}

export function ResetPasswordPage() {
  useDocumentTitle('Choose a new password');
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const navigate = useNavigate();
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [tokenRefused, setTokenRefused] = useState(false);
  const form = useForm(['password', 'confirm'] as const);

  if (!token) {
    return (
      <BadLink
        title="This link is incomplete"
        text="The reset link is missing its token. Open the link from the email again, or ask for a new one."
      />
    );
  }
  if (tokenRefused) {
    return (
      <BadLink
        title="This link no longer works"
        text="Reset links work once and expire after 1 hour. Ask for a new link and use the newest email."
      />
    );
  }

  const onSubmit = form.handleSubmit(
    async () => {
      try {
        await resetPassword(token, password);
      } catch (err) {
        if (isApiError(err) && err.code === 'INVALID_TOKEN') {
          setTokenRefused(true);
          return;
        }
        throw err;
      }
      // Every session of the account has ended, this tab's included.
      useAuthStore.getState().signedOut(null);
      navigate('/login', { replace: true, state: { reason: 'password-reset' } });
    },
    () =>
      compact({
        password: newPasswordError(password),
        confirm: !newPasswordError(password) && confirm !== password ? 'The passwords do not match.' : undefined,
      }),
  );

  return (
    <AuthCard title="Choose a new password" description="After this, you are signed out everywhere and sign in with the new password.">
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <PasswordField
          {...form.field('password')}
          label="New password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters.`}
          autoComplete="new-password"
          maxLength={256}
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <PasswordField
          {...form.field('confirm')}
          label="Confirm new password"
          autoComplete="new-password"
          maxLength={256}
          value={confirm}
          onChange={(e) => setConfirm(e.target.value)}
        />
        <SubmitButton pending={form.pending} pendingLabel="Saving…" className="btn--block">
          Set new password
        </SubmitButton>
      </form>
    </AuthCard>
  );
}
