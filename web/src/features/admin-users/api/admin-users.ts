import { apiClient } from '@/lib/api-client';
import type { AdminPlan, AdminUserDetail, AdminUserPage, ImpersonationToken } from '@/types';
import type { UserFilter } from '../lib/user-filter';
import { USERS_PAGE_SIZE, userQuery } from '../lib/user-filter';

export type UserRole = AdminUserDetail['user']['role'];

function userPath(id: string, action?: string): string {
  return `/api/admin/users/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
}

/** GET /api/admin/users: newest first, deleted accounts only when the status filter asks for them. */
export async function listUsers(filter: UserFilter, signal?: AbortSignal): Promise<AdminUserPage> {
  const response = await apiClient.get<AdminUserPage>('/api/admin/users', {
    params: { ...userQuery(filter), pageSize: USERS_PAGE_SIZE },
    signal,
  });
  return response.data;
}

/** GET /api/admin/users/{id}: profile, organizations, subscription and usage, keys, sessions, recent audit. */
export async function getUser(id: string, signal?: AbortSignal): Promise<AdminUserDetail> {
  const response = await apiClient.get<AdminUserDetail>(userPath(id), { signal });
  return response.data;
}

/** POST …/suspend: signs them out everywhere (409 USER_ALREADY_SUSPENDED, ADMIN_SELF_ACTION). */
export async function suspendUser(id: string, reason: string): Promise<AdminUserDetail> {
  const response = await apiClient.post<AdminUserDetail>(userPath(id, 'suspend'), { reason });
  return response.data;
}

/** POST …/reactivate (409 USER_NOT_SUSPENDED). */
export async function reactivateUser(id: string, reason: string): Promise<AdminUserDetail> {
  const response = await apiClient.post<AdminUserDetail>(userPath(id, 'reactivate'), { reason });
  return response.data;
}

/** PATCH …/role (409 ADMIN_SELF_ACTION). */
export async function changeUserRole(id: string, role: UserRole, reason: string): Promise<AdminUserDetail> {
  const response = await apiClient.patch<AdminUserDetail>(userPath(id, 'role'), { role, reason });
  return response.data;
}

/** POST …/reset-2fa: removes the authenticator and recovery codes, signs them out (409 TWO_FACTOR_NOT_ENABLED). */
export async function resetTwoFactor(id: string, reason: string): Promise<AdminUserDetail> {
  const response = await apiClient.post<AdminUserDetail>(userPath(id, 'reset-2fa'), { reason });
  return response.data;
}

/** POST …/revoke-sessions: answers how many live sessions ended. */
export async function revokeSessions(id: string, reason: string): Promise<number> {
  const response = await apiClient.post<{ revoked: number }>(userPath(id, 'revoke-sessions'), { reason });
  return response.data.revoked;
}

/** POST …/resend-verification: 202; the reason is optional (409 EMAIL_ALREADY_VERIFIED, USER_NOT_ACTIVE). */
export async function resendVerification(id: string, reason: string): Promise<void> {
  await apiClient.post(userPath(id, 'resend-verification'), reason ? { reason } : {});
}

/** DELETE /api/admin/users/{id}: 204 (409 OWNS_ORGANIZATIONS while they own a team organization). */
export async function deleteUser(id: string, reason: string): Promise<void> {
  await apiClient.delete(userPath(id), { data: { reason } });
}

/**
 * POST /api/admin/impersonation ("view as customer"): 201 with a read-only access token for the customer that
 * expires in 15 minutes. `code` is a current code of my authenticator app (400 INVALID_MFA_CODE; recovery codes are
 * refused); 409 IMPERSONATION_NOT_ALLOWED for an administrator, USER_NOT_ACTIVE, ADMIN_SELF_ACTION.
 */
export async function startImpersonation(userId: string, code: string, reason: string): Promise<ImpersonationToken> {
  const response = await apiClient.post<ImpersonationToken>('/api/admin/impersonation', { userId, code, reason });
  return response.data;
}

/** GET /api/admin/plans: for the plan filter and each plan's quota policy. */
export async function listPlans(signal?: AbortSignal): Promise<AdminPlan[]> {
  const response = await apiClient.get<{ plans: AdminPlan[] }>('/api/admin/plans', { signal });
  return response.data.plans;
}
