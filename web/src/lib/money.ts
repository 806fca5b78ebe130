// Money in the contract is an integer of minor units (cents) plus an ISO 4217 currency code. These helpers
// format such amounts and convert between minor units and the decimal strings people type ("19.00"), exactly:
// the conversions work on the digits of the string, never on binary floating point.

const digitsCache = new Map<string, number>();

/** Whether `code` is a well-formed ISO 4217 code (three capitals, e.g. "USD") the browser accepts. */
export function isCurrencyCode(code: string): boolean {
  if (!/^[A-Z]{3}$/.test(code)) return false;
  try {
    new Intl.NumberFormat('en', { style: 'currency', currency: code });
    return true;
  } catch {
    return false;
  }
}

/** How many minor-unit digits a currency has: USD 2, JPY 0, KWD 3 (2 for a malformed code). */
export function currencyDigits(currency: string): number {
  const cached = digitsCache.get(currency);
  if (cached !== undefined) return cached;
  let digits = 2;
  if (isCurrencyCode(currency)) {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency }).resolvedOptions().maximumFractionDigits ?? 2;
  }
  digitsCache.set(currency, digits);
  return digits;
}

/** Minor units as a plain decimal string with the currency's digits: 1900 USD → "19.00", -5 → "-0.05", 1900 JPY → "1900". */
export function minorToDecimal(minor: number, currency: string): string {
  if (!Number.isSafeInteger(minor)) throw new RangeError(`Not a whole number of minor units: ${minor}`);
  const digits = currencyDigits(currency);
  const negative = minor < 0;
  const abs = String(Math.abs(minor));
  if (digits === 0) return `${negative ? '-' : ''}${abs}`;
  const padded = abs.padStart(digits + 1, '0');
  const whole = padded.slice(0, -digits);
  const fraction = padded.slice(-digits);
  return `${negative ? '-' : ''}${whole}.${fraction}`;
}

const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string, locale: string | undefined, trim: boolean): Intl.NumberFormat {
  const key = `${locale ?? ''}|${currency}|${trim ? 't' : ''}`;
  let f = formatters.get(key);
  if (!f) {
    const digits = currencyDigits(currency);
    const fractions = { minimumFractionDigits: trim ? 0 : digits, maximumFractionDigits: digits };
    f = isCurrencyCode(currency)
      ? new Intl.NumberFormat(locale, { style: 'currency', currency, ...fractions })
      : new Intl.NumberFormat(locale, fractions);
    formatters.set(key, f);
  }
  return f;
}

export interface FormatMoneyOptions {
  /** BCP 47 locale; default: the browser's. */
  locale?: string | undefined;
  /** Drop ".00" from whole amounts ("$19" instead of "$19.00"), for prices in headlines. */
  trimWhole?: boolean;
}

/**
 * Minor units + currency, formatted for people: 1900 USD → "$19.00", 50 USD → "$0.50", 1900 JPY → "¥1,900".
 * A malformed currency code is shown after the number ("19.00 usd?") rather than throwing.
 */
export function formatMoney(minor: number, currency: string, options: FormatMoneyOptions = {}): string {
  const digits = currencyDigits(currency);
  const trim = options.trimWhole === true && minor % 10 ** digits === 0;
  // The formatter gets the exact decimal digits (a string), not a float quotient.
  const decimal = minorToDecimal(minor, currency) as `${number}`;
  const text = formatterFor(currency, options.locale, trim).format(decimal);
  return isCurrencyCode(currency) ? text : `${text} ${currency}`;
}

export type ParseMoneyResult = { ok: true; value: number } | { ok: false; error: string };

export interface ParseMoneyOptions {
  /** Largest accepted amount in minor units (inclusive). */
  max?: number;
}

/**
 * The decimal string an admin types ("19", "19.5", "19.00", "1,900.00") → minor units (1900, 1950, 1900, 190000),
 * exactly. Refused: negatives, more decimals than the currency has ("19.999" in USD, "19.5" in JPY), anything
 * that is not a plain number, and amounts above `max`.
 */
export function parseMoney(text: string, currency: string, options: ParseMoneyOptions = {}): ParseMoneyResult {
  const digits = currencyDigits(currency);
  const t = text.trim().replace(/\s+/g, '');
  if (!t) return { ok: false, error: 'Enter an amount.' };
  if (t.startsWith('-')) return { ok: false, error: 'The amount cannot be negative.' };
  // Thousands separators are allowed only in their usual places.
  const m = /^(\d{1,3}(?:,\d{3})+|\d+)?(?:\.(\d+))?$/.exec(t);
  if (!m || (m[1] === undefined && !m[2])) {
    return { ok: false, error: `Enter an amount like ${digits > 0 ? `19.${'0'.repeat(digits)}` : '1900'}.` };
  }
  const whole = (m[1] ?? '0').replace(/,/g, '');
  const fraction = m[2] ?? '';
  if (fraction.length > digits) {
    return {
      ok: false,
      error:
        digits === 0
          ? `${currency} has no minor units: enter a whole amount.`
          : `Use at most ${digits} decimal place${digits === 1 ? '' : 's'}.`,
    };
  }
  const minor = BigInt(whole) * 10n ** BigInt(digits) + BigInt(fraction.padEnd(digits, '0') || '0');
  const max = options.max ?? Number.MAX_SAFE_INTEGER;
  if (minor > BigInt(max)) {
    return { ok: false, error: `The amount can be at most ${formatMoney(max, currency)}.` };
  }
  return { ok: true, value: Number(minor) };
}

/** An overage price: "$0.50 per 1,000 units", "$0.01 per unit". */
export function formatPerUnits(minor: number, units: number, currency: string, noun = 'units'): string {
  const singular = noun.endsWith('s') ? noun.slice(0, -1) : noun;
  const per = units === 1 ? singular : `${new Intl.NumberFormat().format(units)} ${noun}`;
  return `${formatMoney(minor, currency)} per ${per}`;
}
