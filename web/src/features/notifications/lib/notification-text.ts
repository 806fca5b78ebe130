import { formatNumber } from '@/lib/format';
import { formatMoney } from '@/lib/money';
import { describeUserAgent } from '@/lib/user-agent';
import type { Notification } from '@/types';

/** How the bell shows one notification. */
export interface NotificationView {
  /** One sentence about the event. */
  text: string;
  /** The dashboard page it leads to, if any. */
  to?: string;
  /** A follow-up when there is no page to go to (e.g. where to accept an invitation). */
  hint?: string;
  /**
   * About one of the user's organizations (its quota, payments, keys): opening it switches to that organization
   * first, so the page shows the right data.
   */
  organizationScoped: boolean;
}

type Payload = Record<string, unknown>;

function str(payload: Payload, key: string): string | undefined {
  const value = payload[key];
  return typeof value === 'string' && value.trim() ? value.trim() : undefined;
}

function num(payload: Payload, key: string): number | undefined {
  const value = payload[key];
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (typeof value === 'string' && /^-?\d+$/.test(value)) return Number(value);
  return undefined;
}

const ROLE_LABELS: Partial<Record<string, string>> = {
  OWNER: 'Owner',
  ADMIN: 'Admin',
  MEMBER: 'Member',
  BILLING: 'Billing',
};

const dayMonth = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short' });
const dayMonthYear = new Intl.DateTimeFormat(undefined, { day: 'numeric', month: 'short', year: 'numeric' });

/** "3 Dec" (or "Dec 3", by locale), with the year when it is not this year's. */
export function shortDate(iso: string, now: number = Date.now()): string | undefined {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return undefined;
  return d.getFullYear() === new Date(now).getFullYear() ? dayMonth.format(d) : dayMonthYear.format(d);
}

function money(payload: Payload): string | undefined {
  const amount = num(payload, 'amountMinor');
  const currency = str(payload, 'currency');
  if (amount === undefined || !currency || !Number.isSafeInteger(amount)) return undefined;
  // Stripe sends currencies in lower case ("usd").
  return formatMoney(amount, currency.toUpperCase());
}

function units(payload: Payload): string {
  const used = num(payload, 'used');
  const limit = num(payload, 'limit');
  return used !== undefined && limit !== undefined ? ` (${formatNumber(used)} of ${formatNumber(limit)})` : '';
}

function keyLabel(payload: Payload): string {
  const name = str(payload, 'name');
  const prefix = str(payload, 'prefix');
  const shown = prefix ? ` (${prefix}…)` : '';
  return name ? `Key “${name}”${shown}` : `An API key${shown}`;
}

/** The sentence, link and hint for a notification, from its kind and payload (unknown fields are ignored). */
export function describeNotification(notification: Pick<Notification, 'kind' | 'payload'>, now: number = Date.now()): NotificationView {
  const p = notification.payload as Payload;
  switch (notification.kind) {
    case 'quota_80':
      return { text: `You've used 80% of your included units${units(p)}`, to: '/usage', organizationScoped: true };
    case 'quota_100': {
      const then = p.hardCap === false ? 'further calls are billed as overage' : 'further calls are refused until the quota resets or you upgrade';
      return { text: `You've used all your included units${units(p)}: ${then}`, to: '/usage', organizationScoped: true };
    }
    case 'payment_failed': {
      const amount = money(p);
      return {
        text: amount ? `Payment of ${amount} failed — update your card` : 'A payment failed — update your card',
        to: '/billing',
        organizationScoped: true,
      };
    }
    case 'payment_succeeded': {
      const amount = money(p);
      return { text: amount ? `Payment of ${amount} received — thank you` : 'Payment received — thank you', to: '/billing', organizationScoped: true };
    }
    case 'subscription_changed': {
      const plan = str(p, 'plan');
      return { text: plan ? `Your plan is now ${plan}` : 'Your plan changed', to: '/billing', organizationScoped: true };
    }
    case 'key_expiring': {
      const expiresAt = str(p, 'expiresAt');
      const date = expiresAt ? shortDate(expiresAt, now) : undefined;
      return { text: `${keyLabel(p)} expires ${date ? `on ${date}` : 'soon'}`, to: '/keys', organizationScoped: true };
    }
    case 'key_rotated':
      return { text: `${keyLabel(p)} was rotated`, to: '/keys', organizationScoped: true };
    case 'invitation_received': {
      const inviter = str(p, 'inviter');
      const organization = str(p, 'organization') ?? 'an organization';
      const roleCode = str(p, 'role');
      const role = roleCode ? ` as ${ROLE_LABELS[roleCode] ?? roleCode}` : '';
      return {
        text: inviter ? `${inviter} invited you to ${organization}${role}` : `You were invited to ${organization}${role}`,
        // The acceptance page needs the token from the invitation email, which the notification does not carry.
        hint: 'Accept it with the link in the invitation email.',
        organizationScoped: false,
      };
    }
    case 'new_sign_in': {
      const ip = str(p, 'ip');
      return {
        text: `New sign-in from ${describeUserAgent(str(p, 'userAgent'))}${ip ? ` (${ip})` : ''}`,
        to: '/account#sessions',
        organizationScoped: false,
      };
    }
    case 'security':
      return { text: str(p, 'message') ?? 'A security notice about your account', to: '/account', organizationScoped: false };
    case 'system':
      return { text: str(p, 'message') ?? 'A message from the administrators of this server', organizationScoped: false };
    default:
      return { text: 'Notification', organizationScoped: false };
  }
}

/** "Notifications, 3 unread": the bell button's accessible name. */
export function bellLabel(unread: number): string {
  return unread > 0 ? `Notifications, ${formatNumber(unread)} unread` : 'Notifications';
}

/** The count on the bell: "3", "99+". */
export function bellCount(unread: number): string {
  return unread > 99 ? '99+' : String(unread);
}
