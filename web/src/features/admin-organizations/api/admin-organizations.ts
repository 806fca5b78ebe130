import { apiClient } from '@/lib/api-client';
import type { AdminOrganizationDetail, AdminOrganizationPage, AdminPlan } from '@/types';
import { ORGANIZATIONS_PAGE_SIZE, organizationQuery, type OrganizationFilter } from '../lib/organization-filter';

function organizationPath(id: string, action?: string): string {
  return `/api/admin/organizations/${encodeURIComponent(id)}${action ? `/${action}` : ''}`;
}

/** GET /api/admin/organizations: newest first; the search matches the name, the id or the owner's email. */
export async function listOrganizations(filter: OrganizationFilter, signal?: AbortSignal): Promise<AdminOrganizationPage> {
  const response = await apiClient.get<AdminOrganizationPage>('/api/admin/organizations', {
    params: { ...organizationQuery(filter), pageSize: ORGANIZATIONS_PAGE_SIZE },
    signal,
  });
  return response.data;
}

/** GET /api/admin/organizations/{id}: members, subscription and usage, key counts, the 10 newest invoices. */
export async function getOrganization(id: string, signal?: AbortSignal): Promise<AdminOrganizationDetail> {
  const response = await apiClient.get<AdminOrganizationDetail>(organizationPath(id), { signal });
  return response.data;
}

/** POST …/suspend: its keys are refused (409 ORGANIZATION_ALREADY_SUSPENDED). */
export async function suspendOrganization(id: string, reason: string): Promise<AdminOrganizationDetail> {
  const response = await apiClient.post<AdminOrganizationDetail>(organizationPath(id, 'suspend'), { reason });
  return response.data;
}

/** POST …/reactivate (409 ORGANIZATION_NOT_SUSPENDED). */
export async function reactivateOrganization(id: string, reason: string): Promise<AdminOrganizationDetail> {
  const response = await apiClient.post<AdminOrganizationDetail>(organizationPath(id, 'reactivate'), { reason });
  return response.data;
}

/**
 * POST …/plan: puts the organization on a plan at no charge (source "manual"). 422 `plan` when the slug is not an
 * active plan; 409 STRIPE_SUBSCRIPTION_ACTIVE while it pays through Stripe.
 */
export async function compPlan(id: string, plan: string, reason: string): Promise<AdminOrganizationDetail> {
  const response = await apiClient.post<AdminOrganizationDetail>(organizationPath(id, 'plan'), { plan, reason });
  return response.data;
}

/** GET /api/admin/plans: hidden plans too, for the plan filter and the comp dialog. */
export async function listPlans(signal?: AbortSignal): Promise<AdminPlan[]> {
  const response = await apiClient.get<{ plans: AdminPlan[] }>('/api/admin/plans', { signal });
  return response.data.plans;
}
