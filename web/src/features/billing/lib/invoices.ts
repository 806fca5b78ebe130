import { formatDate } from '@/lib/format';
import type { InvoiceSummary, PaymentMethod } from '@/types';

/** "Invoice TG-0001", or the period when the invoice has no number yet (a draft). */
export function invoiceTitle(invoice: Pick<InvoiceSummary, 'number' | 'periodStart'>): string {
  return invoice.number ? `Invoice ${invoice.number}` : `Invoice for ${formatDate(invoice.periodStart)}`;
}

const BRANDS: Record<string, string> = {
  amex: 'American Express',
  american_express: 'American Express',
  diners: 'Diners Club',
  discover: 'Discover',
  eftpos_au: 'eftpos',
  jcb: 'JCB',
  mastercard: 'Mastercard',
  unionpay: 'UnionPay',
  visa: 'Visa',
  cartes_bancaires: 'Cartes Bancaires',
};

/** "Visa", "American Express", or the method type for non-cards ("Sepa debit"). */
export function paymentMethodLabel(method: Pick<PaymentMethod, 'brand' | 'type'>): string {
  const raw = (method.brand ?? '').toLowerCase();
  if (raw && BRANDS[raw]) return BRANDS[raw];
  const text = (raw || method.type || 'card').replace(/_/g, ' ');
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** "04/2030"; null when the method has no expiry. */
export function expiryText(method: Pick<PaymentMethod, 'expMonth' | 'expYear'>): string | null {
  if (method.expMonth === null || method.expYear === null) return null;
  return `${String(method.expMonth).padStart(2, '0')}/${method.expYear}`;
}

/** A card is usable through the last day of its expiry month. */
export function isExpired(method: Pick<PaymentMethod, 'expMonth' | 'expYear'>, now: Date = new Date()): boolean {
  if (method.expMonth === null || method.expYear === null) return false;
  const year = now.getFullYear();
  const month = now.getMonth() + 1;
  return method.expYear < year || (method.expYear === year && method.expMonth < month);
}
