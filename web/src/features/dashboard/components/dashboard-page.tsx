import { Link } from 'react-router-dom';
import { Avatar } from '@/components/avatar';
import { Badge } from '@/components/badge';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { formatDate } from '@/lib/format';
import { useCurrentUser } from '@/stores/auth-store';
import { RecentErrorsCard, RecentKeysCard, UsageCard } from './overview-cards';

const LINKS = [
  { to: '/keys', title: 'API keys', text: 'Create, rotate, disable and revoke the keys your customers use.' },
  { to: '/playground', title: 'API playground', text: 'Call the gateway with a key and see its limits, headers and refusals.' },
  { to: '/usage', title: 'Usage', text: 'Requests, errors, latency and quota over time, per key and endpoint.' },
  { to: '/billing', title: 'Billing', text: 'Your plan, this period’s cost so far, invoices and payment methods.' },
  { to: '/account', title: 'Account settings', text: 'Profile, password, email, two-factor and sessions.' },
  { to: '/docs/api', title: 'API reference', text: 'Every endpoint this server exposes, with its schemas.' },
  { to: '/docs/problems', title: 'Error reference', text: 'What each problem code means and what to do about it.' },
  { to: '/status', title: 'System status', text: 'Whether the database, migrations and cache are healthy.' },
];

export function DashboardPage() {
  useDocumentTitle('Dashboard');
  const user = useCurrentUser();
  if (!user) return null;
  const greeting = user.name?.trim() ? `Welcome, ${user.name.trim()}` : 'Welcome to Tollgate';

  return (
    <div className="page dashboard">
      <div className="dashboard__hello">
        <Avatar url={user.avatarUrl} name={user.name} email={user.email} size={52} />
        <div>
          <h1 className="page-header__title">{greeting}</h1>
          <p className="muted">
            {user.email}
            {user.company ? ` · ${user.company}` : ''} · member since {formatDate(user.createdAt)}
          </p>
        </div>
      </div>

      <section aria-labelledby="overview-title" className="dashboard__section">
        <h2 id="overview-title" className="section-title">
          Overview
        </h2>
        <div className="overview-grid">
          <UsageCard />
          <RecentKeysCard />
          <RecentErrorsCard />
        </div>
      </section>

      <section aria-labelledby="security-title" className="dashboard__section">
        <h2 id="security-title" className="section-title">
          Account security
        </h2>
        <ul className="status-cards">
          <li className="status-card card" data-testid="email-state">
            <div className="status-card__head">
              <h3 className="status-card__title">Email address</h3>
              {user.emailVerified ? <Badge tone="success" dot>Verified</Badge> : <Badge tone="warning" dot>Not verified</Badge>}
            </div>
            <p className="status-card__text">
              {user.emailVerified
                ? 'Password resets and security notices reach you.'
                : 'Open the link we emailed you. Until then, password resets may not reach you.'}
            </p>
          </li>
          <li className="status-card card" data-testid="two-factor-state">
            <div className="status-card__head">
              <h3 className="status-card__title">Two-factor authentication</h3>
              {user.twoFactorEnabled ? <Badge tone="success" dot>On</Badge> : <Badge tone="neutral" dot>Off</Badge>}
            </div>
            <p className="status-card__text">
              {user.twoFactorEnabled ? (
                'Signing in needs a code from your authenticator app.'
              ) : (
                <>
                  Protect your account with an authenticator app.{' '}
                  <Link to="/account#two-factor">Set it up</Link>
                </>
              )}
            </p>
          </li>
        </ul>
      </section>

      <section aria-labelledby="links-title" className="dashboard__section">
        <h2 id="links-title" className="section-title">
          Where to next
        </h2>
        <ul className="link-cards">
          {LINKS.map((l) => (
            <li key={l.to}>
              <Link to={l.to} className="link-card card">
                <span className="link-card__title">{l.title}</span>
                <span className="link-card__text">{l.text}</span>
              </Link>
            </li>
          ))}
        </ul>
      </section>
    </div>
  );
}
