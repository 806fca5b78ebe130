import type { Impersonation } from '@/stores/auth-store';
import type { AdminUserDetail, ImpersonationToken } from '@/types';

/** Who may be viewed as a customer: active accounts that are not administrators, and not oneself. */
export function canViewAs(user: AdminUserDetail['user'], isSelf: boolean): boolean {
  return !isSelf && user.role !== 'ADMIN' && user.status === 'active';
}

/**
 * The view the app switches to: the token, and the customer as the app shows them until their own profile loads
 * (with that token). The end time counts from now by this browser's clock (`expiresIn`), so a skewed clock does not
 * end the view early or late.
 */
export function impersonationFrom(token: ImpersonationToken, detail: AdminUserDetail, now: number = Date.now()): Impersonation {
  const { user } = detail;
  return {
    accessToken: token.accessToken,
    impersonationId: token.impersonationId,
    expiresAt: now + token.expiresIn * 1000,
    user: {
      id: token.user.id,
      email: token.user.email,
      name: token.user.name,
      company: user.company,
      avatarUrl: null,
      role: user.role,
      status: user.status,
      emailVerified: user.emailVerified,
      twoFactorEnabled: user.twoFactor,
      createdAt: user.createdAt,
    },
  };
}
