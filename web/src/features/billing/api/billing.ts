import { apiClient } from '@/lib/api-client';
import type {
  Invoice,
  InvoicePage,
  PaymentMethodList,
  Plan,
  PlanChangePreview,
  PlanChoice,
  RedirectSession,
  Subscription,
  UpcomingInvoice,
} from '@/types';

/** GET /api/plans: the public catalog (active, public plans in display order). No sign-in needed. */
export async function listPlans(signal?: AbortSignal): Promise<Plan[]> {
  const response = await apiClient.get<{ plans: Plan[] }>('/api/plans', { signal });
  return response.data.plans;
}

/** GET /api/user/subscription: the organization's plan, period, status and billing mode. */
export async function getSubscription(signal?: AbortSignal): Promise<Subscription> {
  const response = await apiClient.get<Subscription>('/api/user/subscription', { signal });
  return response.data;
}

/** GET /api/user/billing/upcoming: base fee, usage so far and the projected overage of this period. */
export async function getUpcomingInvoice(signal?: AbortSignal): Promise<UpcomingInvoice> {
  const response = await apiClient.get<UpcomingInvoice>('/api/user/billing/upcoming', { signal });
  return response.data;
}

/** POST /api/user/subscription/checkout (Stripe mode, no Stripe subscription yet): Stripe's hosted checkout page. */
export async function createCheckout(choice: PlanChoice): Promise<RedirectSession> {
  const response = await apiClient.post<RedirectSession>('/api/user/subscription/checkout', choice);
  return response.data;
}

/** POST /api/user/subscription/preview: what a plan change would cost now. */
export async function previewPlanChange(choice: PlanChoice, signal?: AbortSignal): Promise<PlanChangePreview> {
  const response = await apiClient.post<PlanChangePreview>('/api/user/subscription/preview', choice, { signal });
  return response.data;
}

/** POST /api/user/subscription/change: change plan in place (pass the preview's prorationDate). */
export async function changePlan(choice: PlanChoice): Promise<Subscription> {
  const response = await apiClient.post<Subscription>('/api/user/subscription/change', choice);
  return response.data;
}

/** POST /api/user/subscription/cancel: cancel at the end of the period. */
export async function cancelSubscription(): Promise<Subscription> {
  const response = await apiClient.post<Subscription>('/api/user/subscription/cancel');
  return response.data;
}

/** POST /api/user/subscription/resume: undo a scheduled cancellation. */
export async function resumeSubscription(): Promise<Subscription> {
  const response = await apiClient.post<Subscription>('/api/user/subscription/resume');
  return response.data;
}

/** POST /api/user/billing/portal: a Stripe Billing Portal session. */
export async function createPortalSession(): Promise<RedirectSession> {
  const response = await apiClient.post<RedirectSession>('/api/user/billing/portal');
  return response.data;
}

/** GET /api/user/billing/payment-methods: saved cards, the default first (empty in local mode). */
export async function listPaymentMethods(signal?: AbortSignal): Promise<PaymentMethodList> {
  const response = await apiClient.get<PaymentMethodList>('/api/user/billing/payment-methods', { signal });
  return response.data;
}

/** POST /api/user/billing/payment-methods/setup: Stripe Checkout in setup mode, to add a card. */
export async function setupPaymentMethod(): Promise<RedirectSession> {
  const response = await apiClient.post<RedirectSession>('/api/user/billing/payment-methods/setup');
  return response.data;
}

function paymentMethodPath(id: string): string {
  return `/api/user/billing/payment-methods/${encodeURIComponent(id)}`;
}

/** POST /api/user/billing/payment-methods/{id}/default: answers the list after the change. */
export async function setDefaultPaymentMethod(id: string): Promise<PaymentMethodList> {
  const response = await apiClient.post<PaymentMethodList>(`${paymentMethodPath(id)}/default`);
  return response.data;
}

/** DELETE /api/user/billing/payment-methods/{id}: detaches the card in Stripe. */
export async function removePaymentMethod(id: string): Promise<void> {
  await apiClient.delete(paymentMethodPath(id));
}

export const INVOICES_PAGE_SIZE = 20;

/** GET /api/user/billing/invoices: one page, newest first. */
export async function listInvoices(cursor: string | null, signal?: AbortSignal): Promise<InvoicePage> {
  const params: Record<string, string | number> = { limit: INVOICES_PAGE_SIZE };
  if (cursor) params.cursor = cursor;
  const response = await apiClient.get<InvoicePage>('/api/user/billing/invoices', { params, signal });
  return response.data;
}

/** GET /api/user/billing/invoices/{id}: one invoice with its lines. */
export async function getInvoice(id: string, signal?: AbortSignal): Promise<Invoice> {
  const response = await apiClient.get<Invoice>(`/api/user/billing/invoices/${encodeURIComponent(id)}`, { signal });
  return response.data;
}
