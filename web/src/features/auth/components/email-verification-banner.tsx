import { useState } from 'react';
import { toApiError } from '@/lib/api-client';
import { errorMessage } from '@/lib/errors';
import { resendVerification } from '../api/email-verification';

type SendState = { kind: 'idle' } | { kind: 'sending' } | { kind: 'sent' } | { kind: 'failed'; message: string };

/** Account-wide reminder while the email address is unverified, with a one-click resend. */
export function EmailVerificationBanner({ email }: { email: string }) {
  const [send, setSend] = useState<SendState>({ kind: 'idle' });

  const resend = async () => {
    if (send.kind === 'sending') return;
    setSend({ kind: 'sending' });
    try {
      await resendVerification(email);
      setSend({ kind: 'sent' });
    } catch (err) {
      setSend({ kind: 'failed', message: errorMessage(toApiError(err)) });
    }
  };

  return (
    <div className="banner banner--warning" role="region" aria-label="Email verification">
      <div className="container banner__inner">
        <p className="banner__text">
          <strong>Verify your email address.</strong> We sent a link to <strong>{email}</strong>; open it to confirm the
          address.
        </p>
        <div className="banner__actions">
          <span role="status" className="banner__status">
            {send.kind === 'sent' && 'A new link is on its way.'}
            {send.kind === 'failed' && send.message}
          </span>
          <button
            type="button"
            className="btn btn--secondary btn--sm"
            onClick={() => void resend()}
            aria-disabled={send.kind === 'sending' || undefined}
          >
            {send.kind === 'sending' ? 'Sending…' : send.kind === 'sent' ? 'Send again' : 'Resend email'}
          </button>
        </div>
      </div>
    </div>
  );
}
