import { formatNumber } from '@/lib/format';
import { formatMoney, formatPerUnits } from '@/lib/money';
import type { BillingInterval, BillingMode, Plan, PlanFeatures, Subscription } from '@/types';

/** The Free plan is the one with slug `free` (the server's default for organizations without a subscription). */
export function isFreePlan(plan: Pick<Plan, 'slug'>): boolean {
  return plan.slug === 'free';
}

/** The interval a plan is actually billed at when `wanted` is chosen: plans without an annual price are monthly only. */
export function effectiveInterval(plan: Pick<Plan, 'priceAnnual'>, wanted: BillingInterval): BillingInterval {
  return wanted === 'year' && plan.priceAnnual !== null ? 'year' : 'month';
}

/** The base fee per interval, minor units. */
export function priceFor(plan: Pick<Plan, 'priceMonthly' | 'priceAnnual'>, interval: BillingInterval): number {
  return interval === 'year' && plan.priceAnnual !== null ? plan.priceAnnual : plan.priceMonthly;
}

export function intervalLabel(interval: BillingInterval): string {
  return interval === 'year' ? 'year' : 'month';
}

/** "$19.00 / month" (or "Free" for a zero price). */
export function formatPlanPrice(plan: Pick<Plan, 'priceMonthly' | 'priceAnnual' | 'currency'>, interval: BillingInterval): string {
  const price = priceFor(plan, interval);
  if (price === 0) return 'Free';
  return `${formatMoney(price, plan.currency)} / ${intervalLabel(effectiveInterval(plan, interval))}`;
}

/** Whole percent saved by paying yearly instead of 12 monthly payments (0 when there is no saving). */
export function annualSavingPercent(plan: Pick<Plan, 'priceMonthly' | 'priceAnnual'>): number {
  if (plan.priceAnnual === null || plan.priceMonthly <= 0) return 0;
  const twelve = plan.priceMonthly * 12;
  if (plan.priceAnnual >= twelve) return 0;
  return Math.floor(((twelve - plan.priceAnnual) * 100) / twelve);
}

/** "$0.50 per 1,000 units", or how usage beyond the included units is handled. */
export function overageText(plan: Pick<Plan, 'quotaPolicy' | 'overagePrice' | 'overageBlockUnits' | 'currency'>): string {
  if (plan.quotaPolicy === 'hard_cap') return 'No overage: calls beyond the included units are refused';
  if (plan.overagePrice === 0) return 'No charge for usage beyond the included units';
  return formatPerUnits(plan.overagePrice, plan.overageBlockUnits, plan.currency);
}

/** "Up to 5 API keys", "Up to 1 team member", "Unlimited API keys" (`noun` is plural). */
export function limitText(value: number | null, noun: string): string {
  if (value === null) return `Unlimited ${noun}`;
  return `Up to ${formatNumber(value)} ${value === 1 ? noun.replace(/s$/, '') : noun}`;
}

export function planTypeLabel(type: Plan['type']): string {
  switch (type) {
    case 'PAY_AS_YOU_GO':
      return 'Pay as you go';
    case 'HYBRID':
      return 'Base fee + usage';
    default:
      return 'Subscription';
  }
}

const ACRONYMS = new Set(['api', 'csv', 'sla', 'sso', 'ip', 'id', 'url', 'saml', 'pdf']);

function words(key: string): string[] {
  return key
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .split(/[\s_.-]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

function sentenceCase(parts: string[]): string {
  return parts
    .map((w, i) => (ACRONYMS.has(w) ? w.toUpperCase() : i === 0 ? w.charAt(0).toUpperCase() + w.slice(1) : w))
    .join(' ');
}

export interface FeatureView {
  key: string;
  label: string;
  /** true / false for on/off flags; null when the feature has a value shown in the label. */
  included: boolean | null;
}

/**
 * Feature flags as readable lines: `{"csv_export": true}` → "CSV export" (included), `{"team": false}` → "Team"
 * (not included), `{"support": "priority_email"}` → "Support: Priority email", `{"usage_history_days": 30}` →
 * "Usage history: 30 days", `{"sla": "99.9"}` → "SLA: 99.9".
 */
export function describeFeatures(features: PlanFeatures | null | undefined): FeatureView[] {
  if (!features || typeof features !== 'object') return [];
  return Object.entries(features).map(([key, value]) => {
    const parts = words(key);
    if (typeof value === 'boolean') return { key, label: sentenceCase(parts), included: value };
    let unit = '';
    const last = parts[parts.length - 1];
    if (typeof value === 'number' && parts.length > 1 && last && ['days', 'hours', 'minutes', 'months'].includes(last)) {
      parts.pop();
      unit = ` ${value === 1 ? last.slice(0, -1) : last}`;
    }
    let shown: string;
    if (typeof value === 'number') shown = `${formatNumber(value)}${unit}`;
    else if (typeof value === 'string') shown = /^[a-z0-9_]+$/.test(value) ? sentenceCase(words(value)) : value;
    else if (value === null) shown = '—';
    else shown = JSON.stringify(value);
    return { key, label: `${sentenceCase(parts)}: ${shown}`, included: null };
  });
}

/** What choosing a plan does, given the current subscription. */
export type PlanAction =
  /** Already on it (same plan and interval). */
  | { kind: 'current' }
  /** Stripe Checkout: Stripe mode, no Stripe subscription yet, paid target. */
  | { kind: 'checkout' }
  /** Preview the cost, then change in place. */
  | { kind: 'change' }
  /** Stripe mode, moving to Free: that is a cancellation at the end of the period. */
  | { kind: 'cancel' };

export function planAction(
  subscription: Pick<Subscription, 'plan' | 'interval' | 'source' | 'implicit' | 'billingMode'>,
  target: Plan,
  interval: BillingInterval,
): PlanAction {
  const currentFree = isFreePlan(subscription.plan) || subscription.implicit;
  const targetFree = isFreePlan(target);
  if (targetFree && currentFree) return { kind: 'current' };
  if (subscription.plan.id === target.id && (targetFree || subscription.interval === effectiveInterval(target, interval))) {
    return { kind: 'current' };
  }
  const mode: BillingMode = subscription.billingMode;
  if (mode === 'stripe' && targetFree) return { kind: 'cancel' };
  if (mode === 'stripe' && subscription.source !== 'stripe') return { kind: 'checkout' };
  return { kind: 'change' };
}
