import type { AdminPlan, Invoice, InvoiceSummary, Plan, PlanChangePreview, Subscription, UpcomingInvoice } from '@/types';

// The seeded catalog (migrations/0006_seed_plans.sql), as the contract shapes it.

export const FREE: Plan = {
  id: '00000000-0000-4000-8000-0000000000f1',
  slug: 'free',
  name: 'Free',
  description: 'For trying the API: 1,000 calls per month, hard limit.',
  type: 'SUBSCRIPTION',
  currency: 'USD',
  priceMonthly: 0,
  priceAnnual: 0,
  includedUnits: 1000,
  overagePrice: 0,
  overageBlockUnits: 1000,
  quotaPolicy: 'hard_cap',
  rateLimitPerMinute: 10,
  maxApiKeys: 2,
  maxMembers: 1,
  features: { support: 'community', usage_history_days: 7, csv_export: false, team: false } as unknown as Plan['features'],
  trialDays: 0,
};

export const STARTER: Plan = {
  ...FREE,
  id: '00000000-0000-4000-8000-0000000000f2',
  slug: 'starter',
  name: 'Starter',
  description: 'For side projects and small apps.',
  type: 'HYBRID',
  priceMonthly: 1900,
  priceAnnual: 19000,
  includedUnits: 50000,
  overagePrice: 50,
  overageBlockUnits: 1000,
  quotaPolicy: 'allow_overage',
  rateLimitPerMinute: 60,
  maxApiKeys: 5,
  maxMembers: 3,
  features: { support: 'email', usage_history_days: 30, csv_export: true, team: true } as unknown as Plan['features'],
};

export const PRO: Plan = {
  ...STARTER,
  id: '00000000-0000-4000-8000-0000000000f3',
  slug: 'pro',
  name: 'Pro',
  description: 'For production workloads.',
  priceMonthly: 9900,
  priceAnnual: 99000,
  includedUnits: 500000,
  overagePrice: 40,
  rateLimitPerMinute: 300,
  maxApiKeys: null,
  maxMembers: 10,
  trialDays: 14,
};

export const PLANS: Plan[] = [FREE, STARTER, PRO];

export function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    plan: FREE,
    implicit: true,
    status: 'active',
    source: 'local',
    interval: 'month',
    currentPeriodStart: '2025-03-01T00:00:00Z',
    currentPeriodEnd: '2025-04-01T00:00:00Z',
    cancelAtPeriodEnd: false,
    trialEnd: null,
    pastDueSince: null,
    paymentGraceEndsAt: null,
    billingMode: 'local',
    ...overrides,
  };
}

export function upcoming(overrides: Partial<UpcomingInvoice> = {}): UpcomingInvoice {
  return {
    billingMode: 'local',
    currency: 'USD',
    periodStart: '2025-03-01T00:00:00Z',
    periodEnd: '2025-04-01T00:00:00Z',
    includedUnits: 50000,
    usedUnits: 12500,
    overageUnits: 0,
    baseFee: 1900,
    overageAmount: 0,
    total: 1900,
    projectedUsedUnits: 40000,
    projectedOverageAmount: 0,
    projectedTotal: 1900,
    lines: [
      { kind: 'base_fee', description: 'Starter (monthly)', quantity: 1, unitPrice: 1900, unitsPerPrice: 1, amount: 1900, proration: false },
    ],
    ...overrides,
  };
}

export function preview(overrides: Partial<PlanChangePreview> = {}): PlanChangePreview {
  return {
    billingMode: 'stripe',
    plan: PRO,
    interval: 'month',
    currency: 'USD',
    amountDue: 5355,
    recurringAmount: 9900,
    prorationDate: 1_741_000_000,
    lines: [
      { kind: 'proration', description: 'Unused time on Starter', quantity: 1, unitPrice: null, unitsPerPrice: 1, amount: -1045, proration: true },
      { kind: 'proration', description: 'Remaining time on Pro', quantity: 1, unitPrice: null, unitsPerPrice: 1, amount: 6400, proration: true },
    ],
    ...overrides,
  };
}

export function invoiceSummary(overrides: Partial<InvoiceSummary> = {}): InvoiceSummary {
  return {
    id: '00000000-0000-4000-8000-00000000a001',
    number: 'TG-0001',
    status: 'paid',
    source: 'stripe',
    currency: 'USD',
    periodStart: '2025-02-01T00:00:00Z',
    periodEnd: '2025-03-01T00:00:00Z',
    total: 2400,
    amountDue: 2400,
    amountPaid: 2400,
    hostedInvoiceUrl: 'https://invoice.stripe.test/i/1',
    invoicePdfUrl: 'https://invoice.stripe.test/i/1.pdf',
    issuedAt: '2025-03-01T00:00:00Z',
    dueAt: null,
    paidAt: '2025-03-01T00:05:00Z',
    createdAt: '2025-03-01T00:00:00Z',
    ...overrides,
  };
}

export function invoice(overrides: Partial<Invoice> = {}): Invoice {
  return {
    ...invoiceSummary(),
    subtotal: 2400,
    tax: 0,
    discount: 0,
    includedUnits: 50000,
    usageUnits: 60000,
    overageUnits: 10000,
    lines: [
      { kind: 'base_fee', description: 'Starter (monthly)', quantity: 1, unitPrice: 1900, unitsPerPrice: 1, amount: 1900, proration: false },
      { kind: 'overage', description: 'Overage: 10,000 units', quantity: 10000, unitPrice: 50, unitsPerPrice: 1000, amount: 500, proration: false },
    ],
    ...overrides,
  };
}

export function adminPlan(plan: Plan, overrides: Partial<AdminPlan> = {}): AdminPlan {
  return {
    ...plan,
    status: 'active',
    isPublic: true,
    displayOrder: 20,
    subscribers: 3,
    stripe: {
      productId: null,
      priceMonthlyId: null,
      priceAnnualId: null,
      priceMeteredId: null,
      meterId: null,
      syncedAt: null,
    },
    ...overrides,
  };
}
