// Friendly aliases over the generated contract types (api.d.ts is generated; see scripts/gen-api.mjs).
import type { components, operations } from './api';

type Schemas = components['schemas'];
type JsonBody<O extends keyof operations> = operations[O] extends { requestBody?: { content: { 'application/json': infer B } } }
  ? B
  : never;
export type Problem = Schemas['Problem'];
export type Readiness = Schemas['Readiness'];
export type Health = Schemas['Health'];
export type VersionInfo = Schemas['Version'];
export type ClientErrorReport = Schemas['ClientErrorReport'];

export type User = Schemas['User'];
export type AuthResult = Schemas['AuthResult'];
export type MfaChallenge = Schemas['MfaChallenge'];
export type RegisterRequest = Schemas['RegisterRequest'];
export type LoginRequest = Schemas['LoginRequest'];
export type EmailVerified = Schemas['EmailVerified'];
export type Accepted = Schemas['Accepted'];
export type ProfileUpdate = Schemas['ProfileUpdate'];
export type Session = Schemas['Session'];
export type SessionList = Schemas['SessionList'];
export type TwoFactorStatus = Schemas['TwoFactorStatus'];
export type TwoFactorSetup = Schemas['TwoFactorSetup'];
export type RecoveryCodes = Schemas['RecoveryCodes'];

export type ApiKey = Schemas['ApiKey'];
export type ApiKeyList = Schemas['ApiKeyList'];
export type ApiKeyAllowance = ApiKeyList['allowance'];
export type ApiKeySecret = Schemas['ApiKeySecret'];
export type RotatedApiKey = Schemas['RotatedApiKey'];
export type CreateApiKeyRequest = Schemas['CreateApiKeyRequest'];
export type UpdateApiKeyRequest = Schemas['UpdateApiKeyRequest'];

export type UsageSummary = Schemas['UsageSummary'];
export type UsagePoint = Schemas['UsagePoint'];
export type UsageTimeseries = Schemas['UsageTimeseries'];
export type UsageByEndpoint = Schemas['UsageByEndpoint'];
export type UsageEndpointRow = UsageByEndpoint['items'][number];
export type UsageEvent = Schemas['UsageEvent'];
export type UsageEventPage = Schemas['UsageEventPage'];
export type Quota = Schemas['Quota'];

export type Plan = Schemas['Plan'];
export type Subscription = Schemas['Subscription'];
export type BillingMode = Subscription['billingMode'];
export type BillingInterval = Subscription['interval'];
export type PlanChoice = Schemas['PlanChoice'];
export type RedirectSession = Schemas['RedirectSession'];
export type InvoiceLine = Schemas['InvoiceLine'];
export type PlanChangePreview = Schemas['PlanChangePreview'];
export type PaymentMethod = Schemas['PaymentMethod'];
export type PaymentMethodList = Schemas['PaymentMethodList'];
export type InvoiceSummary = Schemas['InvoiceSummary'];
export type Invoice = Schemas['Invoice'];
export type InvoicePage = Schemas['InvoicePage'];
export type UpcomingInvoice = Schemas['UpcomingInvoice'];
export type AdminPlan = Schemas['AdminPlan'];
export type PlanInput = Schemas['PlanInput'];
export type PlanUpdate = Schemas['PlanUpdate'];
export type AdminReason = Schemas['AdminReason'];
export type AdminUser = Schemas['AdminUser'];
export type AdminUserPage = Schemas['AdminUserPage'];
export type AdminUserDetail = Schemas['AdminUserDetail'];
export type AdminOrganization = Schemas['AdminOrganization'];
export type AdminOrganizationPage = Schemas['AdminOrganizationPage'];
export type AdminOrganizationDetail = Schemas['AdminOrganizationDetail'];
export type AuditEntry = Schemas['AuditEntry'];
export type AuditPage = Schemas['AuditPage'];
export type ServiceToken = Schemas['ServiceToken'];
export type CreatedServiceToken = Schemas['CreatedServiceToken'];
export type ApiEndpoint = Schemas['ApiEndpoint'];
export type ApiEndpointInput = Schemas['ApiEndpointInput'];
export type ApiEndpointUpdate = Schemas['ApiEndpointUpdate'];
export type RateLimitState = Schemas['RateLimitState'];
export type RateLimitBucket = Schemas['RateLimitBucket'];
export type ImpersonationToken = Schemas['ImpersonationToken'];
export type Impersonation = Schemas['Impersonation'];
export type AdminAnalytics = Schemas['AdminAnalytics'];
export type AnalyticsDay = Schemas['AnalyticsDay'];
export type Notification = Schemas['Notification'];
export type NotificationPage = Schemas['NotificationPage'];
export type NotificationPreferences = Schemas['NotificationPreferences'];
export type NotificationEmailSettings = Schemas['NotificationEmailSettings'];
export type Organization = Schemas['Organization'];
export type OrganizationRole = Organization['role'];
export type Member = Schemas['Member'];
export type MemberList = Schemas['MemberList'];
export type Invitation = Schemas['Invitation'];
/** The roles an invitation or a role change can give (ownership is transferred, not set). */
export type AssignableRole = Invitation['role'];
export type CreateOrganizationRequest = JsonBody<'createOrganization'>;
export type UpdateOrganizationRequest = JsonBody<'updateOrganization'>;
export type InviteMemberRequest = JsonBody<'inviteMember'>;

/**
 * A plan's feature flags. The contract's `features: { type: object }` generates Record<string, never>; any JSON
 * object is meant.
 */
export type PlanFeatures = Record<string, unknown>;
