import { EmailVerificationBanner } from '@/features/auth/components/email-verification-banner';
import { useFreshUser } from '@/features/auth/hooks/use-fresh-user';
import { useSignOut } from '@/features/auth/hooks/use-sign-out';
import { NotificationBell } from '@/features/notifications/components/notification-bell';
import { OrganizationNotice } from '@/features/organizations/components/organization-notice';
import { OrganizationSwitcher } from '@/features/organizations/components/organization-switcher';
import { useOrganizationList } from '@/features/organizations/hooks/use-organizations';
import { useCurrentUser } from '@/stores/auth-store';
import { useOrganizationStore } from '@/stores/organization-store';
import { Shell, type NavItem } from './shell';

const NAV: readonly NavItem[] = [
  { to: '/dashboard', label: 'Dashboard', end: true },
  { to: '/keys', label: 'API keys' },
  { to: '/usage', label: 'Usage' },
  { to: '/billing', label: 'Billing' },
  { to: '/organization', label: 'Organization' },
  { to: '/account', label: 'Account settings' },
];

/** Shown to administrators only (the pages check the role too, and the server checks it again). */
const ADMIN_NAV: readonly NavItem[] = [...NAV, { to: '/admin', label: 'Admin' }];

/**
 * The signed-in area (rendered inside RequireAuth). During a view as customer it shows the customer: their
 * organizations, notifications and pages, read-only.
 */
export function DashboardLayout() {
  useFreshUser();
  const user = useCurrentUser();
  const organizations = useOrganizationList((s) => s.organizations);
  const activeOrganization = useOrganizationStore((s) => s.activeId);
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
      nav={user?.role === 'ADMIN' ? ADMIN_NAV : NAV}
      navExtra={signOutItem}
      headerExtra={<OrganizationSwitcher />}
      headerEnd={<NotificationBell organizations={organizations} />}
      // Switching organization remounts the page, so it shows the new organization's data.
      contentKey={activeOrganization ?? 'personal'}
      banner={
        <>
          {user && !user.emailVerified ? <EmailVerificationBanner email={user.email} /> : null}
          <OrganizationNotice />
        </>
      }
    />
  );
}
