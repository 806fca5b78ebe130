import { useRef, useState, useEffect } from 'react';
import { Link } from 'react-router-dom';
import { TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { compact, emailError } from '@/lib/validation';
import { forgotPassword } from '../api/password-reset';
import { AuthCard } from './auth-card';

export function ForgotPasswordPage() {
  useDocumentTitle('Reset your password');
  const [email, setEmail] = useState('');
  const [sentTo, setSentTo] = useState<string | null>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  const form = useForm(['email'] as const);

  useEffect(() => {
    if (sentTo) headingRef.current?.focus();
  }, [sentTo]);

  const onSubmit = form.handleSubmit(
    async () => {
      const address = email.trim();
      await forgotPassword(address);
      setSentTo(address);
    },
    () => compact({ email: emailError(email) }),
  );

  if (sentTo) {
    return (
      <AuthCard
        title="Check your inbox"
        headingRef={headingRef}
        footer={
          <p>
            <Link to="/login">Back to sign in</Link>
          </p>
        }
      >
        <div className="prose">
          <p>
            If <strong>{sentTo}</strong> has an account, we've sent it a link to choose a new password. The link works once
            and expires in 1 hour.
          </p>
          <p className="muted small">
            Nothing after a few minutes? Check your spam folder, or{' '}
            <button type="button" className="link-button" onClick={() => setSentTo(null)}>
              try again
            </button>
            .
          </p>
        </div>
      </AuthCard>
    );
  }

  return (
    <AuthCard
      title="Reset your password"
      description="Enter the email address of your account and we'll send you a link to choose a new password."
      footer={
        <p>
          Remembered it? <Link to="/login">Sign in</Link>
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('email')}
          label="Email"
          type="email"
          inputMode="email"
          autoComplete="email"
          maxLength={254}
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <SubmitButton pending={form.pending} pendingLabel="Sending…" className="btn--block">
          Send reset link
        </SubmitButton>
      </form>
    </AuthCard>
  );
}
