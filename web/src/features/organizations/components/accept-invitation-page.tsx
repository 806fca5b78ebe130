import { useEffect, useRef, useState, type ReactNode, type Ref } from 'react';
import { Link, useLocation, useNavigate, useSearchParams } from 'react-router-dom';
import { LoadingBlock } from '@/components/spinner';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { toApiError, type ApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { useAuthStore, useCurrentUser } from '@/stores/auth-store';
import { useOrganizationStore } from '@/stores/organization-store';
import { acceptInvitation } from '../api/organizations';
import { useOrganizationList } from '../hooks/use-organizations';
import { ROLE_LABELS } from '../lib/roles';

type State = { kind: 'idle' } | { kind: 'pending' } | { kind: 'failed'; error: ApiError };

/** The narrow centred card of the sign-in pages (same styles; features do not share components). */
function Card({ title, headingRef, children, footer }: { title: string; headingRef?: Ref<HTMLHeadingElement>; children: ReactNode; footer?: ReactNode }) {
  return (
    <div className="auth">
      <section className="auth__card card" aria-labelledby="invitation-title">
        <h1 id="invitation-title" ref={headingRef} tabIndex={-1} className="auth__title">
          {title}
        </h1>
        {children}
      </section>
      {footer && <div className="auth__footer">{footer}</div>}
    </div>
  );
}

function failure(error: ApiError, email: string | undefined): { title: string; text: ReactNode; retry: boolean } {
  switch (error.code) {
    case 'INVITATION_EXPIRED':
      return {
        title: 'This invitation has expired',
        text: 'Invitation links work for 7 days. Ask the person who invited you to resend it: the new email has a fresh link.',
        retry: false,
      };
    case 'INVITATION_EMAIL_MISMATCH':
      return {
        title: 'This invitation is for another email address',
        text: (
          <>
            You are signed in as <strong>{email}</strong>, but the invitation was sent to a different address. Sign out, then
            sign in (or create an account) with the address the invitation was sent to, and open the link again.
          </>
        ),
        retry: false,
      };
    case 'INVITATION_NOT_FOUND':
    case 'VALIDATION_FAILED':
      return {
        title: 'This invitation is no longer valid',
        text: 'The link was already used, the invitation was revoked, or a newer email replaced it. If you already joined, the organization is in the switcher at the top of your dashboard; otherwise ask for a new invitation.',
        retry: false,
      };
    case 'MEMBER_LIMIT_REACHED':
      return {
        title: 'The organization is full',
        text: 'It has as many members as its plan allows. Ask its owner or an admin to make room or upgrade the plan, then try again.',
        retry: true,
      };
    default:
      return { title: 'We could not accept the invitation', text: errorMessage(error), retry: true };
  }
}

/**
 * /invitations/accept?token=…, the link of an invitation email. Signed out: explains and links to sign in or
 * register, coming back here afterwards. Signed in: accepts on request, then switches to the organization.
 */
export function AcceptInvitationPage({ onSignOut, signingOut = false }: { onSignOut?: () => void; signingOut?: boolean }) {
  useDocumentTitle('Accept invitation');
  const [params] = useSearchParams();
  const location = useLocation();
  const navigate = useNavigate();
  const token = params.get('token')?.trim() ?? '';
  const status = useAuthStore((s) => s.status);
  const email = useCurrentUser()?.email;
  const select = useOrganizationStore((s) => s.select);
  const upsert = useOrganizationList((s) => s.upsert);
  const [state, setState] = useState<State>({ kind: 'idle' });
  const headingRef = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    if (state.kind === 'failed') headingRef.current?.focus();
  }, [state.kind]);

  // Signing in or out changes what this page can do: start over.
  useEffect(() => {
    setState({ kind: 'idle' });
  }, [status, email]);

  const here = `${location.pathname}${location.search}`;
  const next = encodeURIComponent(here);

  if (!token) {
    return (
      <Card title="This invitation link is incomplete">
        <div className="prose" role="alert">
          <p>Open the link from the invitation email again (all of it), or ask the person who invited you for a new invitation.</p>
        </div>
      </Card>
    );
  }

  if (status === 'unknown') return <LoadingBlock label="Checking your session…" />;

  if (status === 'anonymous') {
    return (
      <Card
        title="You have been invited to an organization"
        footer={
          <p>
            Invitations are valid for 7 days. <Link to="/pricing">What is Tollgate?</Link>
          </p>
        }
      >
        <div className="prose">
          <p>
            Someone invited you to join their organization on Tollgate. Sign in with the email address the invitation was
            sent to, or create an account with that address, to accept it. You will come back here afterwards.
          </p>
        </div>
        <div className="invite-accept__actions">
          <Link to={`/login?next=${next}`} className="btn btn--primary btn--block">
            Sign in to accept
          </Link>
          <Link to={`/register?next=${next}`} className="btn btn--secondary btn--block">
            Create an account
          </Link>
        </div>
      </Card>
    );
  }

  const accept = async () => {
    if (state.kind === 'pending') return;
    setState({ kind: 'pending' });
    try {
      const org = await acceptInvitation(token);
      upsert(org);
      navigate('/organization/members', { replace: true });
      select(org.id, { tone: 'success', text: `You joined “${org.name}” as ${ROLE_LABELS[org.role]}. You are now working in it.` });
    } catch (err) {
      setState({ kind: 'failed', error: toApiError(err) });
    }
  };

  if (state.kind === 'failed') {
    const { title, text, retry } = failure(state.error, email);
    const mismatch = state.error.code === 'INVITATION_EMAIL_MISMATCH';
    return (
      <Card
        title={title}
        headingRef={headingRef}
        footer={
          <p>
            <Link to="/dashboard">Go to the dashboard</Link>
          </p>
        }
      >
        <div className="prose" role="alert" data-testid="invitation-error" data-code={state.error.code}>
          <p>{text}</p>
        </div>
        {mismatch && onSignOut && (
          <button type="button" className="btn btn--primary btn--block" onClick={onSignOut} aria-disabled={signingOut || undefined}>
            {signingOut ? 'Signing out…' : 'Sign out'}
          </button>
        )}
        {retry && (
          <button type="button" className="btn btn--secondary btn--block" onClick={() => void accept()}>
            Try again
          </button>
        )}
      </Card>
    );
  }

  return (
    <Card title="Join the organization">
      <div className="prose">
        <p>
          You are signed in as <strong>{email}</strong>. Accept the invitation to become a member of the organization that
          invited you; you can switch between your organizations at the top of the dashboard.
        </p>
      </div>
      <button
        type="button"
        className={`btn btn--primary btn--block${state.kind === 'pending' ? ' is-pending' : ''}`}
        onClick={() => void accept()}
        aria-disabled={state.kind === 'pending' || undefined}
      >
        {state.kind === 'pending' && <span className="spinner spinner--inline" aria-hidden="true" />}
        {state.kind === 'pending' ? 'Accepting…' : 'Accept invitation'}
      </button>
      <p className="muted small">
        The invitation went to another address?{' '}
        {onSignOut ? (
          <>
            <button type="button" className="link-button" onClick={onSignOut} aria-disabled={signingOut || undefined}>
              {signingOut ? 'Signing out…' : 'Sign out'}
            </button>{' '}
            and sign in with that one.
          </>
        ) : (
          'Sign out and sign in with that one.'
        )}
      </p>
    </Card>
  );
}
