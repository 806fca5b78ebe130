import { ApiError } from '@/lib/api-client';
import { useAuthStore } from '@/stores/auth-store';
import type { AuthResult, User } from '@/types';

export const USER: User = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'ada@example.com',
  name: 'Ada Lovelace',
  company: null,
  avatarUrl: null,
  role: 'USER',
  status: 'active',
  emailVerified: true,
  twoFactorEnabled: false,
  createdAt: '2025-01-01T00:00:00Z',
};

export function authResult(user: Partial<User> = {}): AuthResult {
  return { user: { ...USER, ...user }, accessToken: 'access', tokenType: 'Bearer', expiresIn: 900, refreshToken: 'refresh' };
}

export function problem(status: number, code: string, errors: { field: string; message: string }[] = []): ApiError {
  return new ApiError({ status, code, title: 'Problem', requestId: 'req', errors });
}

export function signInAs(user: Partial<User> = {}) {
  useAuthStore.getState().signedIn(authResult(user));
}

export function resetAuth(status: 'unknown' | 'anonymous' = 'anonymous') {
  useAuthStore.setState({
    status,
    user: null,
    accessToken: null,
    reason: null,
    impersonation: null,
    impersonationEnded: null,
    readOnlyRefusals: 0,
  });
}

export const CUSTOMER: User = {
  ...USER,
  id: '00000000-0000-4000-8000-000000000003',
  email: 'grace@acme.test',
  name: 'Grace Hopper',
};

/** Signs in an administrator and starts a view as `customer` that ends in `ms`. */
export function impersonate(customer: Partial<User> = {}, ms = 15 * 60 * 1000) {
  signInAs({ role: 'ADMIN', twoFactorEnabled: true });
  useAuthStore.getState().startImpersonation({
    accessToken: 'customer-token',
    impersonationId: '00000000-0000-4000-8000-0000000000f1',
    user: { ...CUSTOMER, ...customer },
    expiresAt: Date.now() + ms,
  });
}
