import { useEffect, useRef, useState } from 'react';
import { Link, Navigate, useLocation, useSearchParams } from 'react-router-dom';
import { PasswordField, TextField } from '@/components/form/fields';
import { FormAlert, Notice, SubmitButton } from '@/components/form/form-alert';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useForm } from '@/hooks/use-form';
import { isApiError } from '@/lib/api-client';
import { compact, emailError, requiredError } from '@/lib/validation';
import { useAuthStore, type SignOutReason } from '@/stores/auth-store';
import { isMfaChallenge, login, verifyTwoFactor } from '../api/sign-in';
import { safeNext } from '../lib/next-path';
import { codeError, normaliseCode } from '@/lib/one-time-code';
import { AuthCard } from './auth-card';

const REASONS: Record<SignOutReason, { tone: 'info' | 'success'; text: string }> = {
  expired: { tone: 'info', text: 'Your session has ended. Sign in again to continue.' },
  'signed-out': { tone: 'success', text: 'You have signed out.' },
  'account-deleted': { tone: 'success', text: 'Your account has been deleted.' },
  'password-reset': { tone: 'success', text: 'Your password has been changed. Sign in with your new password.' },
};

interface Challenge {
  mfaToken: string;
}

function PasswordStep({
  email,
  setEmail,
  onChallenge,
  notice,
  restarted,
  registerPath,
}: {
  email: string;
  setEmail: (email: string) => void;
  onChallenge: (challenge: Challenge) => void;
  notice: { tone: 'info' | 'success'; text: string } | null;
  /** Back from the two-factor step: focus the password, the email is still filled in. */
  restarted: boolean;
  /** The register link, keeping `?next=` so a new account also lands where the user was going. */
  registerPath: string;
}) {
  const [password, setPassword] = useState('');
  const signedIn = useAuthStore((s) => s.signedIn);
  const form = useForm(['email', 'password'] as const, {
    codes: {
      INVALID_CREDENTIALS: { message: 'The email address or password is incorrect.' },
      ACCOUNT_SUSPENDED: { message: 'This account is suspended. Contact the operator of this Tollgate instance.' },
    },
  });

  const { fieldId } = form;
  useEffect(() => {
    if (restarted) document.getElementById(fieldId('password'))?.focus();
  }, [restarted, fieldId]);

  const onSubmit = form.handleSubmit(
    async () => {
      const answer = await login({ email: email.trim(), password });
      if (isMfaChallenge(answer)) onChallenge({ mfaToken: answer.mfaToken });
      else signedIn(answer);
    },
    () =>
      compact({
        email: emailError(email),
        password: requiredError(password, 'Enter your password.'),
      }),
  );

  return (
    <AuthCard
      title="Sign in"
      description="Welcome back. Sign in to manage your API, keys and account."
      footer={
        <p>
          New to Tollgate? <Link to={registerPath}>Create an account</Link> · <Link to="/pricing">See plans and pricing</Link>
        </p>
      }
    >
      {notice && <Notice tone={notice.tone}>{notice.text}</Notice>}
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('email')}
          label="Email"
          type="email"
          autoComplete="username"
          inputMode="email"
          value={email}
          onChange={(e) => setEmail(e.target.value)}
        />
        <PasswordField
          {...form.field('password')}
          label="Password"
          autoComplete="current-password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <div className="form__row form__row--split">
          <Link to="/forgot-password" className="small">
            Forgot your password?
          </Link>
        </div>
        <SubmitButton pending={form.pending} pendingLabel="Signing in…" className="btn--block">
          Sign in
        </SubmitButton>
      </form>
    </AuthCard>
  );
}

function TwoFactorStep({ challenge, onRestart }: { challenge: Challenge; onRestart: (message: string | null) => void }) {
  const [code, setCode] = useState('');
  const signedIn = useAuthStore((s) => s.signedIn);
  const inputRef = useRef<HTMLInputElement>(null);
  const form = useForm(['code'] as const, {
    codes: {
      INVALID_MFA_CODE: {
        field: 'code',
        message: "That code didn't work. Check that your device's clock is right, or use a recovery code.",
      },
    },
  });

  useEffect(() => {
    inputRef.current?.focus();
  }, []);

  const onSubmit = form.handleSubmit(
    async () => {
      try {
        signedIn(await verifyTwoFactor(challenge.mfaToken, normaliseCode(code)));
      } catch (err) {
        if (isApiError(err) && err.code === 'INVALID_MFA_TOKEN') {
          onRestart('This sign-in attempt expired or had too many wrong codes. Sign in again.');
          return;
        }
        throw err;
      }
    },
    () => compact({ code: codeError(normaliseCode(code), true) }),
  );

  return (
    <AuthCard
      title="Two-factor authentication"
      description="Enter the 6-digit code from your authenticator app."
      footer={
        <p>
          <button type="button" className="link-button" onClick={() => onRestart(null)}>
            Sign in with a different account
          </button>
        </p>
      }
    >
      <form className="form" noValidate onSubmit={onSubmit}>
        <FormAlert error={form.formError} alertRef={form.alertRef} />
        <TextField
          {...form.field('code')}
          inputRef={inputRef}
          label="Authentication code"
          hint="Lost your device? Enter one of your recovery codes instead (like abcde-fghjk)."
          autoComplete="one-time-code"
          autoCapitalize="none"
          spellCheck={false}
          className="input--code"
          maxLength={32}
          value={code}
          onChange={(e) => setCode(e.target.value)}
        />
        <SubmitButton pending={form.pending} pendingLabel="Verifying…" className="btn--block">
          Verify and sign in
        </SubmitButton>
      </form>
    </AuthCard>
  );
}

export function LoginPage() {
  const status = useAuthStore((s) => s.status);
  const [params] = useSearchParams();
  const location = useLocation();
  const [email, setEmail] = useState('');
  const [challenge, setChallenge] = useState<Challenge | null>(null);
  const [restartMessage, setRestartMessage] = useState<string | null>(null);
  const [restarted, setRestarted] = useState(false);
  useDocumentTitle(challenge ? 'Two-factor authentication' : 'Sign in');

  const reason = (location.state as { reason?: SignOutReason } | null)?.reason;
  const next = safeNext(params.get('next'));

  if (status === 'authenticated') return <Navigate to={next} replace />;
  if (status === 'unknown') return <LoadingBlock label="Checking your session…" />;

  if (challenge) {
    return (
      <TwoFactorStep
        challenge={challenge}
        onRestart={(message) => {
          setRestartMessage(message);
          setRestarted(true);
          setChallenge(null);
        }}
      />
    );
  }
  const notice = restartMessage
    ? ({ tone: 'info', text: restartMessage } as const)
    : reason
      ? REASONS[reason]
      : params.get('next')
        ? ({ tone: 'info', text: 'Sign in to continue.' } as const)
        : null;
  return (
    <PasswordStep
      email={email}
      setEmail={setEmail}
      notice={notice}
      restarted={restarted}
      registerPath={params.get('next') ? `/register?next=${encodeURIComponent(next)}` : '/register'}
      onChallenge={(c) => {
        setRestartMessage(null);
        setChallenge(c);
      }}
    />
  );
}
