import { NavLink } from 'react-router-dom';
import { useAuthStore } from '@/stores/auth-store';
import { Shell, type NavItem } from './shell';

const NAV: readonly NavItem[] = [
  { to: '/', label: 'Overview', end: true },
  { to: '/pricing', label: 'Pricing' },
  { to: '/status', label: 'Status' },
  { to: '/docs/api', label: 'API reference' },
];

/** The public site: landing, status, docs and the sign-in pages. */
export function AppLayout() {
  const status = useAuthStore((s) => s.status);
  const account =
    status === 'unknown' ? null : (
      <li className="nav__account">
        {status === 'authenticated' ? (
          <NavLink to="/dashboard" className="btn btn--primary btn--sm nav__cta">
            Dashboard
          </NavLink>
        ) : (
          <NavLink to="/login" className="btn btn--secondary btn--sm nav__cta">
            Sign in
          </NavLink>
        )}
      </li>
    );
  return <Shell nav={NAV} navExtra={account} />;
}
