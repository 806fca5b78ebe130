import { EmailVerificationBanner } from '@/features/auth/components/email-verification-banner';
import { useFreshUser } from '@/features/auth/hooks/use-fresh-user';
import { useSignOut } from '@/features/auth/hooks/use-sign-out';
import { useAuthStore } from '@/stores/auth-store';
import { Shell, type NavItem } from './shell';

const NAV: readonly NavItem[] = [
  { to: '/dashboard', label: 'Dashboard', end: true },
  { to: '/keys', label: 'API keys' },
  { to: '/usage', label: 'Usage' },
  { to: '/account', label: 'Account settings' },
];

/** The signed-in area (rendered inside RequireAuth). */
export function DashboardLayout() {
  useFreshUser();
  const user = useAuthStore((s) => s.user);
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
      nav={NAV}
      navExtra={signOutItem}
      banner={user && !user.emailVerified ? <EmailVerificationBanner email={user.email} /> : null}
    />
  );
}
