import { currencyDigits, minorToDecimal, parseMoney } from '@/lib/money';
import type { AdminPlan, PlanFeatures, PlanInput, PlanUpdate } from '@/types';

// Client-side checks mirroring PlanInput / PlanUpdate in the contract (the server stays the authority).

export const PLAN_FIELDS = [
  'slug',
  'name',
  'description',
  'type',
  'currency',
  'priceMonthly',
  'priceAnnual',
  'includedUnits',
  'overagePrice',
  'overageBlockUnits',
  'quotaPolicy',
  'rateLimitPerMinute',
  'maxApiKeys',
  'maxMembers',
  'features',
  'isPublic',
  'displayOrder',
  'trialDays',
] as const;
export type PlanField = (typeof PLAN_FIELDS)[number];

export type PlanType = AdminPlan['type'];
export type QuotaPolicy = AdminPlan['quotaPolicy'];

/** What the form holds: text as typed, so "19.00" stays "19.00" until it is parsed exactly. */
export interface PlanFormValues {
  slug: string;
  name: string;
  description: string;
  type: PlanType;
  currency: string;
  priceMonthly: string;
  /** Empty: no annual option. */
  priceAnnual: string;
  includedUnits: string;
  overagePrice: string;
  overageBlockUnits: string;
  quotaPolicy: QuotaPolicy;
  rateLimitPerMinute: string;
  /** Empty: unlimited. */
  maxApiKeys: string;
  /** Empty: unlimited. */
  maxMembers: string;
  /** A JSON object. */
  features: string;
  isPublic: boolean;
  displayOrder: string;
  trialDays: string;
}

export const LIMITS = {
  nameMax: 100,
  descriptionMax: 2000,
  priceMonthlyMax: 100_000_000,
  priceAnnualMax: 1_000_000_000,
  includedUnitsMax: 1_000_000_000_000,
  overagePriceMax: 100_000_000,
  overageBlockUnitsMax: 1_000_000_000,
  rateLimitMax: 10_000_000,
  maxApiKeysMax: 1_000_000,
  maxMembersMax: 1_000_000,
  displayOrderAbsMax: 1_000_000,
  trialDaysMax: 730,
  featuresMaxBytes: 4096,
} as const;

export const SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export const NEW_PLAN_VALUES: PlanFormValues = {
  slug: '',
  name: '',
  description: '',
  type: 'SUBSCRIPTION',
  currency: 'USD',
  priceMonthly: '',
  priceAnnual: '',
  includedUnits: '0',
  overagePrice: '0.00',
  overageBlockUnits: '1000',
  quotaPolicy: 'hard_cap',
  rateLimitPerMinute: '60',
  maxApiKeys: '',
  maxMembers: '',
  features: '{}',
  isPublic: true,
  displayOrder: '0',
  trialDays: '0',
};

function optionalCount(value: number | null): string {
  return value === null ? '' : String(value);
}

/** The form's values for an existing plan (minor units shown back as decimals: 1900 USD → "19.00"). */
export function valuesFromPlan(plan: AdminPlan): PlanFormValues {
  return {
    slug: plan.slug,
    name: plan.name,
    description: plan.description,
    type: plan.type,
    currency: plan.currency,
    priceMonthly: minorToDecimal(plan.priceMonthly, plan.currency),
    priceAnnual: plan.priceAnnual === null ? '' : minorToDecimal(plan.priceAnnual, plan.currency),
    includedUnits: String(plan.includedUnits),
    overagePrice: minorToDecimal(plan.overagePrice, plan.currency),
    overageBlockUnits: String(plan.overageBlockUnits),
    quotaPolicy: plan.quotaPolicy,
    rateLimitPerMinute: String(plan.rateLimitPerMinute),
    maxApiKeys: optionalCount(plan.maxApiKeys),
    maxMembers: optionalCount(plan.maxMembers),
    features: JSON.stringify(plan.features ?? {}, null, 2),
    isPublic: plan.isPublic,
    displayOrder: String(plan.displayOrder),
    trialDays: String(plan.trialDays),
  };
}

type IntResult = { ok: true; value: number | null } | { ok: false; error: string };

/** A whole number within [min, max] ("50,000" allowed); empty → null when `optional`. */
export function parseInteger(text: string, { min, max, optional = false }: { min: number; max: number; optional?: boolean }): IntResult {
  const t = text.trim().replace(/[\s_]/g, '');
  const range = `Enter a whole number from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}`;
  if (!t) return optional ? { ok: true, value: null } : { ok: false, error: `${range}.` };
  if (!/^-?(\d{1,3}(,\d{3})+|\d+)$/.test(t)) return { ok: false, error: `${range}${optional ? ', or leave it empty' : ''}.` };
  const n = Number(t.replace(/,/g, ''));
  if (!Number.isSafeInteger(n) || n < min || n > max) return { ok: false, error: `${range}${optional ? ', or leave it empty' : ''}.` };
  return { ok: true, value: n };
}

export type FeaturesResult = { ok: true; value: PlanFeatures } | { ok: false; error: string };

/** The features textarea: a JSON object of at most 4 KiB (empty → {}). */
export function parseFeatures(text: string): FeaturesResult {
  const t = text.trim();
  if (!t) return { ok: true, value: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(t);
  } catch (err) {
    const reason = err instanceof SyntaxError ? err.message.replace(/^JSON\.parse: /, '') : 'invalid JSON';
    return { ok: false, error: `This is not valid JSON (${reason}).` };
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    return { ok: false, error: 'Features must be a JSON object, like {"csv_export": true, "support": "email"}.' };
  }
  const bytes = new TextEncoder().encode(JSON.stringify(parsed)).length;
  if (bytes > LIMITS.featuresMaxBytes) {
    return { ok: false, error: `Features are ${bytes.toLocaleString('en-US')} bytes; the limit is 4 KiB (4,096 bytes).` };
  }
  return { ok: true, value: parsed as PlanFeatures };
}

/** Everything but the slug, parsed and checked. */
export interface ParsedPlan {
  name: string;
  description: string;
  type: PlanType;
  currency: string;
  priceMonthly: number;
  priceAnnual: number | null;
  includedUnits: number;
  overagePrice: number;
  overageBlockUnits: number;
  quotaPolicy: QuotaPolicy;
  rateLimitPerMinute: number;
  maxApiKeys: number | null;
  maxMembers: number | null;
  features: PlanFeatures;
  isPublic: boolean;
  displayOrder: number;
  trialDays: number;
}

export type ParseResult = { ok: true; slug: string; plan: ParsedPlan } | { ok: false; errors: Partial<Record<PlanField, string>> };

/** Validates the whole form; money is converted to minor units exactly, in the plan's currency. */
export function parsePlanForm(values: PlanFormValues, mode: 'create' | 'edit'): ParseResult {
  const errors: Partial<Record<PlanField, string>> = {};
  const slug = values.slug.trim();
  if (mode === 'create') {
    if (!slug) errors.slug = 'Choose a slug, e.g. "pro" (it identifies the plan in URLs and Stripe; it cannot change).';
    else if (!SLUG_PATTERN.test(slug)) errors.slug = 'Use lowercase letters, digits and hyphens (up to 63), starting with a letter or digit.';
  }
  const name = values.name.trim();
  if (!name) errors.name = 'Give the plan a name.';
  else if (name.length > LIMITS.nameMax) errors.name = `Use at most ${LIMITS.nameMax} characters.`;
  const description = values.description.trim();
  if (description.length > LIMITS.descriptionMax) errors.description = `Use at most ${LIMITS.descriptionMax.toLocaleString('en-US')} characters.`;

  const currency = values.currency.trim().toUpperCase();
  const currencyOk = /^[A-Z]{3}$/.test(currency);
  if (!currencyOk) errors.currency = 'Enter a three-letter ISO 4217 code, e.g. USD or EUR.';
  // Amounts are checked against the digits of the currency being saved (USD 2, JPY 0).
  const moneyCurrency = currencyOk ? currency : 'USD';

  const money = (field: 'priceMonthly' | 'priceAnnual' | 'overagePrice', max: number, optional: boolean): number | null => {
    const text = values[field];
    if (optional && !text.trim()) return null;
    const r = parseMoney(text, moneyCurrency, { max });
    if (!r.ok) {
      errors[field] = r.error;
      return null;
    }
    return r.value;
  };
  const priceMonthly = money('priceMonthly', LIMITS.priceMonthlyMax, false);
  const priceAnnual = money('priceAnnual', LIMITS.priceAnnualMax, true);
  const overagePrice = money('overagePrice', LIMITS.overagePriceMax, false);

  const int = (field: PlanField, text: string, min: number, max: number, optional = false): number | null => {
    const r = parseInteger(text, { min, max, optional });
    if (!r.ok) {
      errors[field] = r.error;
      return null;
    }
    return r.value;
  };
  const includedUnits = int('includedUnits', values.includedUnits, 0, LIMITS.includedUnitsMax);
  const overageBlockUnits = int('overageBlockUnits', values.overageBlockUnits, 1, LIMITS.overageBlockUnitsMax);
  const rateLimitPerMinute = int('rateLimitPerMinute', values.rateLimitPerMinute, 1, LIMITS.rateLimitMax);
  const maxApiKeys = int('maxApiKeys', values.maxApiKeys, 0, LIMITS.maxApiKeysMax, true);
  const maxMembers = int('maxMembers', values.maxMembers, 1, LIMITS.maxMembersMax, true);
  const displayOrder = int('displayOrder', values.displayOrder, -LIMITS.displayOrderAbsMax, LIMITS.displayOrderAbsMax);
  const trialDays = int('trialDays', values.trialDays, 0, LIMITS.trialDaysMax);

  const features = parseFeatures(values.features);
  if (!features.ok) errors.features = features.error;

  if (Object.keys(errors).length > 0 || !features.ok) return { ok: false, errors };
  return {
    ok: true,
    slug,
    plan: {
      name,
      description,
      type: values.type,
      currency,
      priceMonthly: priceMonthly ?? 0,
      priceAnnual,
      includedUnits: includedUnits ?? 0,
      overagePrice: overagePrice ?? 0,
      overageBlockUnits: overageBlockUnits ?? 1,
      quotaPolicy: values.quotaPolicy,
      rateLimitPerMinute: rateLimitPerMinute ?? 1,
      maxApiKeys,
      maxMembers,
      features: features.value,
      isPublic: values.isPublic,
      displayOrder: displayOrder ?? 0,
      trialDays: trialDays ?? 0,
    },
  };
}

type ContractFeatures = NonNullable<PlanUpdate['features']>;

/** The POST body for a new plan. */
export function toPlanInput(slug: string, plan: ParsedPlan): PlanInput {
  // The contract's `features: { type: object }` generates Record<string, never>; any JSON object is meant.
  return { slug, ...plan, features: plan.features as ContractFeatures };
}

/** JSON with object keys sorted, so two equal objects compare equal whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const COMPARED = [
  'name',
  'description',
  'type',
  'currency',
  'priceMonthly',
  'priceAnnual',
  'includedUnits',
  'overagePrice',
  'overageBlockUnits',
  'quotaPolicy',
  'rateLimitPerMinute',
  'maxApiKeys',
  'maxMembers',
  'isPublic',
  'displayOrder',
  'trialDays',
] as const satisfies readonly (keyof ParsedPlan & keyof AdminPlan)[];

/** The PATCH body: only the fields whose value differs from the plan as loaded (empty object: nothing changed). */
export function planChanges(original: AdminPlan, plan: ParsedPlan): PlanUpdate {
  const changes: Record<string, unknown> = {};
  for (const key of COMPARED) {
    if (plan[key] !== original[key]) changes[key] = plan[key];
  }
  if (canonicalJson(plan.features) !== canonicalJson(original.features ?? {})) changes.features = plan.features;
  return changes as PlanUpdate;
}

/** "2 decimals" hint for the money inputs of a currency. */
export function moneyHint(currency: string): string {
  const code = /^[A-Z]{3}$/.test(currency.trim().toUpperCase()) ? currency.trim().toUpperCase() : 'USD';
  const digits = currencyDigits(code);
  return digits === 0 ? `Whole ${code}, e.g. 1900.` : `In ${code}, e.g. 19.${'0'.repeat(digits)}.`;
}
