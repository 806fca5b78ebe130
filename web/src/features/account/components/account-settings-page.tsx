import { Link } from 'react-router-dom';
import { PageHeader } from '@/components/page-header';
import { useDocumentTitle } from '@/hooks/use-document-title';
import { useCurrentUser } from '@/stores/auth-store';
import { DeleteAccountSection } from './delete-account-section';
import { EmailPreferencesSection } from './email-preferences-section';
import { EmailSection } from './email-section';
import { PasswordSection } from './password-section';
import { ProfileSection } from './profile-section';
import { SessionsSection } from './sessions-section';
import { TwoFactorSection } from './two-factor-section';

const SECTIONS = [
  { id: 'profile', label: 'Profile' },
  { id: 'password', label: 'Password' },
  { id: 'email', label: 'Email address' },
  { id: 'two-factor', label: 'Two-factor authentication' },
  { id: 'sessions', label: 'Active sessions' },
  { id: 'notifications', label: 'Email notifications' },
  { id: 'delete-account', label: 'Delete account' },
] as const;

export function AccountSettingsPage() {
  useDocumentTitle('Account settings');
  const user = useCurrentUser();
  // RequireAuth renders this page only with a user.
  if (!user) return null;

  return (
    <div className="page">
      <PageHeader title="Account settings" description={`Signed in as ${user.email}`} />
      <div className="settings">
        <nav className="settings__nav" aria-label="Account settings sections">
          <ul>
            {SECTIONS.map((s) => (
              <li key={s.id}>
                <Link to={{ hash: s.id }}>{s.label}</Link>
              </li>
            ))}
          </ul>
        </nav>
        <div className="settings__sections">
          <ProfileSection user={user} />
          <PasswordSection email={user.email} />
          <EmailSection user={user} />
          <TwoFactorSection user={user} />
          <SessionsSection />
          <EmailPreferencesSection />
          <DeleteAccountSection />
        </div>
      </div>
    </div>
  );
}
