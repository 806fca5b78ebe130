import { Link, Outlet } from 'react-router-dom';
import { NotAllowed } from '@/components/admin-states';
import { PageHeader } from '@/components/page-header';
import { useFreshUser } from '@/features/auth/hooks/use-fresh-user';
import { useSignOut } from '@/features/auth/hooks/use-sign-out';
import { NotificationBell } from '@/features/notifications/components/notification-bell';
import { useOrganizationList } from '@/features/organizations/hooks/use-organizations';
import { useAuthStore, useIsImpersonating } from '@/stores/auth-store';
import { Shell, type NavItem } from './shell';

const ADMIN_NAV: readonly NavItem[] = [
  { to: '/admin/users', label: 'Users' },
  { to: '/admin/analytics', label: 'Analytics' },
  { to: '/admin/organizations', label: 'Organizations' },
  { to: '/admin/plans', label: 'Plans' },
  { to: '/admin/endpoints', label: 'API catalog' },
  { to: '/admin/audit', label: 'Audit log' },
  { to: '/admin/service-tokens', label: 'Service tokens' },
  { to: '/admin/rate-limits', label: 'Rate limits' },
];

/** Says, on every width, that this is the admin area. */
function AdminMarker() {
  return (
    <span className="admin-marker" data-testid="admin-marker">
      Admin
    </span>
  );
}

/** Under the header on every width: what this area is, and the way back. */
function AdminBanner() {
  return (
    <div className="banner admin-banner">
      <div className="container banner__inner">
        <p className="banner__text" role="note">
          <strong>Admin area.</strong> Changes here affect every customer; each one is recorded in the audit log with your
          name and reason.
        </p>
        <Link to="/dashboard" className="btn btn--secondary btn--sm admin-banner__back">
          <span aria-hidden="true">← </span>Back to dashboard
        </Link>
      </div>
    </div>
  );
}

/**
 * The admin area (`/admin/*`, rendered inside RequireAuth): its own menu, a clear marker and a way back to the
 * dashboard. No organization switcher: admin routes act on every organization and ignore X-Organization-Id.
 */
export function AdminLayout() {
  useFreshUser();
  const isAdmin = useAuthStore((s) => s.user?.role === 'ADMIN');
  // Already loaded by the dashboard's switcher, if at all: the bell uses it to open a notification in its organization.
  const organizations = useOrganizationList((s) => s.organizations);
  const { signOut, pending } = useSignOut();

  const signOutItem = (
    <li>
      <button type="button" className="nav__link nav__button" onClick={() => void signOut()} aria-disabled={pending || undefined}>
        {pending ? 'Signing out…' : 'Sign out'}
      </button>
    </li>
  );
  return (
    <Shell
      nav={isAdmin ? ADMIN_NAV : []}
      navExtra={signOutItem}
      headerExtra={<AdminMarker />}
      headerEnd={<NotificationBell organizations={organizations} />}
      banner={<AdminBanner />}
    />
  );
}

/**
 * The admin pages' gate (the server checks the role, and two-factor authentication, again on every call). During a
 * view as customer every request carries the customer's token, so the admin pages wait until it ends.
 */
export function RequireAdmin() {
  const isAdmin = useAuthStore((s) => s.user?.role === 'ADMIN');
  const impersonating = useIsImpersonating();
  if (impersonating) {
    return (
      <div className="page">
        <PageHeader title="Admin" />
        <NotAllowed>
          You are viewing a customer&apos;s account, read-only. End the view in the banner at the top to use the admin area
          again.
        </NotAllowed>
      </div>
    );
  }
  if (!isAdmin) {
    return (
      <div className="page">
        <PageHeader title="Admin" />
        <NotAllowed />
      </div>
    );
  }
  return <Outlet />;
}
