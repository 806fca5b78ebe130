import { apiClient } from '@/lib/api-client';
import type { AdminPlan, PlanInput, PlanUpdate } from '@/types';

/** GET /api/admin/plans: every plan, archived ones too, with subscriber counts and Stripe sync state. */
export async function listAdminPlans(signal?: AbortSignal): Promise<AdminPlan[]> {
  const response = await apiClient.get<{ plans: AdminPlan[] }>('/api/admin/plans', { signal });
  return response.data.plans;
}

/** POST /api/admin/plans. */
export async function createPlan(input: PlanInput): Promise<AdminPlan> {
  const response = await apiClient.post<AdminPlan>('/api/admin/plans', input);
  return response.data;
}

/** PATCH /api/admin/plans/{id}: only the fields that change (at least one). */
export async function updatePlan(id: string, changes: PlanUpdate): Promise<AdminPlan> {
  const response = await apiClient.patch<AdminPlan>(`/api/admin/plans/${encodeURIComponent(id)}`, changes);
  return response.data;
}
