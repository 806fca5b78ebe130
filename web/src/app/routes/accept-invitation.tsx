import { useSignOut } from '@/features/auth/hooks/use-sign-out';
import { AcceptInvitationPage } from '@/features/organizations/components/accept-invitation-page';

/** /invitations/accept: the organizations feature's page, with signing out (auth feature) for a wrong account. */
export function AcceptInvitationRoute() {
  const { signOut, pending } = useSignOut();
  return <AcceptInvitationPage onSignOut={() => void signOut()} signingOut={pending} />;
}
