import { lazy } from 'react';
import { Navigate, Route, Routes } from 'react-router-dom';
import { RequireAuth } from '@/features/auth/components/require-auth';
import { AdminLayout, RequireAdmin } from './layouts/admin-layout';
import { AppLayout } from './layouts/app-layout';
import { DashboardLayout } from './layouts/dashboard-layout';
import { LandingPage } from './routes/landing';
import { NotFoundPage } from './routes/not-found';

// Feature pages load on demand so the landing page stays small.
const StatusPage = lazy(() => import('@/features/status/components/status-page').then((m) => ({ default: m.StatusPage })));
const ApiReferencePage = lazy(() =>
  import('@/features/api-docs/components/api-reference-page').then((m) => ({ default: m.ApiReferencePage })),
);
const ProblemReferencePage = lazy(() =>
  import('@/features/api-docs/components/problem-reference-page').then((m) => ({ default: m.ProblemReferencePage })),
);
const LoginPage = lazy(() => import('@/features/auth/components/login-page').then((m) => ({ default: m.LoginPage })));
const RegisterPage = lazy(() => import('@/features/auth/components/register-page').then((m) => ({ default: m.RegisterPage })));
const VerifyEmailPage = lazy(() =>
  import('@/features/auth/components/verify-email-page').then((m) => ({ default: m.VerifyEmailPage })),
);
const ForgotPasswordPage = lazy(() =>
  import('@/features/auth/components/forgot-password-page').then((m) => ({ default: m.ForgotPasswordPage })),
);
const ResetPasswordPage = lazy(() =>
  import('@/features/auth/components/reset-password-page').then((m) => ({ default: m.ResetPasswordPage })),
);
const DashboardPage = lazy(() =>
  import('@/features/dashboard/components/dashboard-page').then((m) => ({ default: m.DashboardPage })),
);
const AccountSettingsPage = lazy(() =>
  import('@/features/account/components/account-settings-page').then((m) => ({ default: m.AccountSettingsPage })),
);
const ApiKeysPage = lazy(() => import('@/features/keys/components/api-keys-page').then((m) => ({ default: m.ApiKeysPage })));
const PlaygroundPage = lazy(() =>
  import('@/features/playground/components/playground-page').then((m) => ({ default: m.PlaygroundPage })),
);
const UsagePage = lazy(() => import('@/features/usage/components/usage-page').then((m) => ({ default: m.UsagePage })));
const BillingPage = lazy(() => import('@/features/billing/components/billing-page').then((m) => ({ default: m.BillingPage })));
const PricingPage = lazy(() => import('@/features/billing/components/pricing-page').then((m) => ({ default: m.PricingPage })));
const OrganizationSettingsPage = lazy(() =>
  import('@/features/organizations/components/organization-settings-page').then((m) => ({ default: m.OrganizationSettingsPage })),
);
const MembersPage = lazy(() => import('@/features/organizations/components/members-page').then((m) => ({ default: m.MembersPage })));
const AcceptInvitationRoute = lazy(() => import('./routes/accept-invitation').then((m) => ({ default: m.AcceptInvitationRoute })));
const AdminPlansPage = lazy(() =>
  import('@/features/admin-plans/components/admin-plans-page').then((m) => ({ default: m.AdminPlansPage })),
);
const AdminUsersPage = lazy(() =>
  import('@/features/admin-users/components/admin-users-page').then((m) => ({ default: m.AdminUsersPage })),
);
const AdminOrganizationsPage = lazy(() =>
  import('@/features/admin-organizations/components/admin-organizations-page').then((m) => ({ default: m.AdminOrganizationsPage })),
);
const AdminEndpointsPage = lazy(() =>
  import('@/features/admin-catalog/components/admin-endpoints-page').then((m) => ({ default: m.AdminEndpointsPage })),
);
const AdminAuditPage = lazy(() => import('@/features/admin-audit/components/admin-audit-page').then((m) => ({ default: m.AdminAuditPage })));
const AdminServiceTokensPage = lazy(() =>
  import('@/features/admin-service-tokens/components/admin-service-tokens-page').then((m) => ({ default: m.AdminServiceTokensPage })),
);
const AdminRateLimitsPage = lazy(() =>
  import('@/features/admin-rate-limits/components/admin-rate-limits-page').then((m) => ({ default: m.AdminRateLimitsPage })),
);
const AdminAnalyticsPage = lazy(() => import('@/features/admin-analytics/components/admin-analytics-page').then((m) => ({ default: m.AdminAnalyticsPage })));

export function AppRoutes() {
  return (
    <Routes>
      <Route element={<AppLayout />}>
        <Route index element={<LandingPage />} />
        <Route path="status" element={<StatusPage />} />
        <Route path="pricing" element={<PricingPage />} />
        <Route path="docs/api" element={<ApiReferencePage />} />
        <Route path="docs/problems" element={<ProblemReferencePage />} />
        <Route path="login" element={<LoginPage />} />
        <Route path="register" element={<RegisterPage />} />
        <Route path="verify-email" element={<VerifyEmailPage />} />
        <Route path="forgot-password" element={<ForgotPasswordPage />} />
        <Route path="reset-password" element={<ResetPasswordPage />} />
        {/* Public: the invitation email links here, signed in or not. */}
        <Route path="invitations/accept" element={<AcceptInvitationRoute />} />
        <Route path="*" element={<NotFoundPage />} />
      </Route>
      <Route
        element={
          <RequireAuth>
            <DashboardLayout />
          </RequireAuth>
        }
      >
        <Route path="dashboard" element={<DashboardPage />} />
        <Route path="keys" element={<ApiKeysPage />} />
        <Route path="usage" element={<UsagePage />} />
        <Route path="billing" element={<BillingPage />} />
        <Route path="playground" element={<PlaygroundPage />} />
        <Route path="organization" element={<OrganizationSettingsPage />} />
        <Route path="organization/members" element={<MembersPage />} />
        <Route path="account" element={<AccountSettingsPage />} />
      </Route>
      <Route
        path="admin"
        element={
          <RequireAuth>
            <AdminLayout />
          </RequireAuth>
        }
      >
        <Route element={<RequireAdmin />}>
          <Route index element={<Navigate to="users" replace />} />
          {/* The optional id opens a record's details over its list, so the details have their own URL. */}
          <Route path="users/:id?" element={<AdminUsersPage />} />
          <Route path="organizations/:id?" element={<AdminOrganizationsPage />} />
          <Route path="plans" element={<AdminPlansPage />} />
          <Route path="endpoints" element={<AdminEndpointsPage />} />
          <Route path="audit" element={<AdminAuditPage />} />
          <Route path="service-tokens" element={<AdminServiceTokensPage />} />
          <Route path="rate-limits" element={<AdminRateLimitsPage />} />
          <Route path="analytics" element={<AdminAnalyticsPage />} />
          <Route path="*" element={<NotFoundPage />} />
        </Route>
      </Route>
    </Routes>
  );
}
