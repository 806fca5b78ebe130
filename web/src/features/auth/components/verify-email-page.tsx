import { useEffect, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router-dom';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { toApiError, type ApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { useAuthStore } from '@/stores/auth-store';
import type { EmailVerified } from '@/types';
import { verifyEmail } from '../api/email-verification';
import { getMe } from '../api/get-me';
import { AuthCard } from './auth-card';
import { ResendVerificationForm } from './resend-verification-form';

// Tokens are single-use: StrictMode's second effect run (and a remount) must reuse the first request.
const attempts = new Map<string, Promise<EmailVerified>>();

function verifyOnce(token: string): Promise<EmailVerified> {
  let attempt = attempts.get(token);
  if (!attempt) {
    attempt = verifyEmail(token);
    attempts.set(token, attempt);
  }
  return attempt;
}

type State = { kind: 'pending' } | { kind: 'verified'; email: string } | { kind: 'failed'; error: ApiError };

function failureText(error: ApiError): { title: string; text: string } {
  switch (error.code) {
    case 'INVALID_TOKEN':
      return {
        title: 'This link no longer works',
        text: 'Verification links work once and expire after 24 hours. If you already verified, just sign in. Otherwise ask for a new link below.',
      };
    case 'EMAIL_TAKEN':
      return {
        title: 'That address is taken',
        text: 'Another account started using this email address after the link was sent, so it cannot be moved to yours.',
      };
    default:
      return { title: 'We could not verify your email', text: errorMessage(error) };
  }
}

export function VerifyEmailPage() {
  useDocumentTitle('Verify your email');
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const status = useAuthStore((s) => s.status);
  const userEmail = useAuthStore((s) => s.user?.email);
  const [state, setState] = useState<State>({ kind: 'pending' });
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (!token) return undefined;
    let active = true;
    verifyOnce(token).then(
      (result) => {
        if (active) setState({ kind: 'verified', email: result.email });
      },
      (err: unknown) => {
        if (active) setState({ kind: 'failed', error: toApiError(err) });
      },
    );
    return () => {
      active = false;
    };
  }, [token]);

  // A signed-in tab shows the new state (verified, or the new address) at once.
  useEffect(() => {
    if (state.kind !== 'verified' || status !== 'authenticated') return;
    getMe()
      .then((user) => useAuthStore.getState().setUser(user))
      .catch(() => undefined);
  }, [state.kind, status]);

  useEffect(() => {
    if (state.kind !== 'pending') headingRef.current?.focus();
  }, [state.kind]);

  if (!token) {
    return (
      <AuthCard title="Verify your email" description="This page needs the link from the verification email. Ask for a new one:">
        <ResendVerificationForm defaultEmail={userEmail ?? ''} />
      </AuthCard>
    );
  }

  if (state.kind === 'pending') return <LoadingBlock label="Verifying your email address…" />;

  if (state.kind === 'verified') {
    return (
      <AuthCard title="Email verified" headingRef={headingRef}>
        <div className="prose" role="status">
          <p>
            <strong>{state.email}</strong> is confirmed. Thanks!
          </p>
        </div>
        {status === 'authenticated' ? (
          <Link to="/dashboard" className="btn btn--primary btn--block">
            Go to the dashboard
          </Link>
        ) : (
          <Link to="/login" className="btn btn--primary btn--block">
            Sign in
          </Link>
        )}
      </AuthCard>
    );
  }

  const { title, text } = failureText(state.error);
  return (
    <AuthCard
      title={title}
      headingRef={headingRef}
      footer={
        <p>
          <Link to={status === 'authenticated' ? '/dashboard' : '/login'}>
            {status === 'authenticated' ? 'Back to the dashboard' : 'Back to sign in'}
          </Link>
        </p>
      }
    >
      <div className="prose" role="alert">
        <p>{text}</p>
      </div>
      <h2 className="auth__subtitle">Send a new link</h2>
      <ResendVerificationForm defaultEmail={userEmail ?? ''} />
    </AuthCard>
  );
}
