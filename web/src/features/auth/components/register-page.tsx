import { useState, type ChangeEvent } from 'react';
import { Link, Navigate, useSearchParams } from 'react-router-dom';
import { PasswordField, TextField } from '@/components/form/fields';
import { FormAlert, SubmitButton } from '@/components/form/form-alert';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { compact, emailError, newPasswordError, PASSWORD_MIN_LENGTH } from '@/lib/validation';
import { useAuthStore } from '@/stores/auth-store';
import { register } from '../api/sign-in';
import { safeNext } from '../lib/next-path';
import { AuthCard } from './auth-card';

const FIELDS = ['name', 'company', 'email', 'password'] as const;

export function RegisterPage() {
  useDocumentTitle('Create an account');
  const status = useAuthStore((s) => s.status);
  const signedIn = useAuthStore((s) => s.signedIn);
  const [params] = useSearchParams();
  // `?next=` (e.g. an invitation link): where to go once the account exists, like after signing in.
  const next = safeNext(params.get('next'));
  const loginPath = params.get('next') ? `/login?next=${encodeURIComponent(next)}` : '/login';
  const [values, setValues] = useState({ name: '', company: '', email: '', password: '' });
  const form = useForm(FIELDS, {
    codes: {
      EMAIL_TAKEN: { field: 'email', message: 'An account with this email address already exists. Sign in, or reset your password.' },
    },
  });

  if (status === 'authenticated') return <Navigate to={next} replace />;
  if (status === 'unknown') return <LoadingBlock label="Checking your session…" />;

  const set = (key: keyof typeof values) => (e: ChangeEvent<HTMLInputElement>) =>
    setValues((v) => ({ ...v, [key]: e.target.value }));

  const onSubmit = form.handleSubmit(
    async () => {
      const name = values.name.trim();
      const company = values.company.trim();
      signedIn(
        await register({
          email: values.email.trim(),
          password: values.password,
          ...(name ? { name } : {}),
          ...(company ? { company } : {}),
        }),
      );
    },
    () => compact({ email: emailError(values.email), password: newPasswordError(values.password) }),
  );

  return (
    <AuthCard
      title="Create your account"
      description="Start selling access to your API. We'll email you a link to confirm your address."
      footer={
        <p>
          Already have an account? <Link to={loginPath}>Sign in</Link> · <Link to="/pricing">Compare plans</Link>
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField {...form.field('name')} label="Name" optional autoComplete="name" maxLength={200} value={values.name} onChange={set('name')} />
        <TextField
          {...form.field('company')}
          label="Company"
          optional
          autoComplete="organization"
          maxLength={200}
          value={values.company}
          onChange={set('company')}
        />
        <TextField
          {...form.field('email')}
          label="Email"
          type="email"
          inputMode="email"
          autoComplete="email"
          maxLength={254}
          value={values.email}
          onChange={set('email')}
        />
        <PasswordField
          {...form.field('password')}
          label="Password"
          hint={`At least ${PASSWORD_MIN_LENGTH} characters. Avoid common passwords; a passphrase works well.`}
          autoComplete="new-password"
          maxLength={256}
          value={values.password}
          onChange={set('password')}
        />
        <SubmitButton pending={form.pending} pendingLabel="Creating your account…" className="btn--block">
          Create account
        </SubmitButton>
      </form>
    </AuthCard>
  );
}
