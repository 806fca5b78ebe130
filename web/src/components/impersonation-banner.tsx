import { useEffect, useRef, useState } from 'react';
import { useNavigate } from 'react-router-dom';
import { endImpersonation, formatCountdown, impersonationReturnPath } from '@/lib/impersonation';
import { useAuthStore, type ImpersonationEnded } from '@/stores/auth-store';

const REFUSED_TEXT = 'That change was not made: this view is read-only.';

/**
 * While an administrator views a customer's account: who, that it is read-only, the time left, and "End view".
 * Sticks to the top of every page with the header. When the time runs out the view ends by itself.
 */
export function ImpersonationBanner() {
  const view = useAuthStore((s) => s.impersonation);
  const refusals = useAuthStore((s) => s.readOnlyRefusals);
  const [now, setNow] = useState(() => Date.now());
  const [ending, setEnding] = useState(false);
  const [announcement, setAnnouncement] = useState('');
  const warned = useRef(false);
  const seenRefusals = useRef(refusals);

  const token = view?.accessToken;
  const expiresAt = view?.expiresAt;

  // A new view: a fresh clock and a fresh one-minute warning.
  useEffect(() => {
    warned.current = false;
    setEnding(false);
    setAnnouncement('');
    setNow(Date.now());
  }, [token]);

  useEffect(() => {
    if (!token || expiresAt === undefined) return undefined;
    const tick = () => {
      const t = Date.now();
      setNow(t);
      if (t >= expiresAt) {
        useAuthStore.getState().stopImpersonation('expired', token);
      } else if (!warned.current && expiresAt - t <= 60_000) {
        warned.current = true;
        setAnnouncement('The customer view ends in less than a minute.');
      }
    };
    tick();
    const id = window.setInterval(tick, 1000);
    // Timers sleep in background tabs: check again as soon as the tab is back.
    document.addEventListener('visibilitychange', tick);
    return () => {
      window.clearInterval(id);
      document.removeEventListener('visibilitychange', tick);
    };
  }, [token, expiresAt]);

  useEffect(() => {
    if (refusals === seenRefusals.current) return;
    seenRefusals.current = refusals;
    // Alternate a trailing space so the same sentence is announced again for the next refusal.
    setAnnouncement(refusals % 2 === 0 ? REFUSED_TEXT : `${REFUSED_TEXT} `);
  }, [refusals]);

  if (!view) return null;

  const end = async () => {
    if (ending) return;
    setEnding(true);
    await endImpersonation();
  };

  return (
    <div className="impersonation-banner" role="region" aria-label="Customer view" data-testid="impersonation-banner">
      <div className="container impersonation-banner__inner">
        <p className="impersonation-banner__text">
          Viewing as <strong className="impersonation-banner__who">{view.user.email}</strong> — read-only — ends in{' '}
          <span className="impersonation-banner__time" data-testid="impersonation-countdown">
            {formatCountdown(view.expiresAt - now)}
          </span>
        </p>
        <span role="status" className="impersonation-banner__status">
          {announcement}
        </span>
        <button
          type="button"
          className={`btn btn--sm impersonation-banner__end${ending ? ' is-pending' : ''}`}
          onClick={() => void end()}
          aria-disabled={ending || undefined}
        >
          {ending ? 'Ending…' : 'End view'}
        </button>
      </div>
    </div>
  );
}

function endedText(ended: ImpersonationEnded): string {
  switch (ended.reason) {
    case 'expired':
      return `Your view as ${ended.email} ended: its 15 minutes ran out. You are back in your own account.`;
    case 'revoked':
      return `Your view as ${ended.email} ended: the server no longer accepts it (it was ended elsewhere, or your own session changed). You are back in your own account.`;
    default:
      return `Your view as ${ended.email} has ended. You are back in your own account.`;
  }
}

/**
 * After a view as customer ends (the button, its time, or the server): back to that customer's admin page, once,
 * with a notice saying why until it is dismissed. The live region is always present so the notice is announced.
 */
export function ImpersonationEndedNotice() {
  const ended = useAuthStore((s) => s.impersonationEnded);
  const navigate = useNavigate();

  useEffect(() => {
    if (!ended || ended.returned) return;
    useAuthStore.getState().markImpersonationReturned();
    navigate(impersonationReturnPath(ended.userId));
  }, [ended, navigate]);

  return (
    <div role="status" data-testid="impersonation-ended">
      {ended && (
        <div className={`banner banner--${ended.reason === 'ended' ? 'info' : 'warning'}`}>
          <div className="container banner__inner">
            <p className="banner__text">{endedText(ended)}</p>
            <div className="banner__actions">
              <button type="button" className="btn btn--secondary btn--sm" onClick={() => useAuthStore.getState().dismissImpersonationEnded()}>
                Dismiss
              </button>
            </div>
          </div>
        </div>
      )}
    </div>
  );
}
