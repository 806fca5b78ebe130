import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney, formatPerUnits, minorToDecimal, parseMoney } from './money';

function minor(text: string, currency = 'USD'): number {
  const r = parseMoney(text, currency);
  if (!r.ok) throw new Error(`${text} was refused: ${r.error}`);
  return r.value;
}

describe('formatMoney', () => {
  it('formats minor units with the currency', () => {
    expect(formatMoney(1900, 'USD', { locale: 'en-US' })).toBe('$19.00');
    expect(formatMoney(50, 'USD', { locale: 'en-US' })).toBe('$0.50');
    expect(formatMoney(0, 'USD', { locale: 'en-US' })).toBe('$0.00');
    expect(formatMoney(-1045, 'USD', { locale: 'en-US' })).toBe('-$10.45');
    expect(formatMoney(123456789, 'EUR', { locale: 'en-US' })).toBe('€1,234,567.89');
    expect(formatMoney(1900, 'JPY', { locale: 'en-US' })).toBe('¥1,900');
    expect(formatMoney(1234, 'KWD', { locale: 'en-US' }).replace(/\s/g, ' ')).toBe('KWD 1.234'); // a no-break space
  });

  it('can drop .00 from whole amounts for headline prices', () => {
    expect(formatMoney(1900, 'USD', { locale: 'en-US', trimWhole: true })).toBe('$19');
    expect(formatMoney(1950, 'USD', { locale: 'en-US', trimWhole: true })).toBe('$19.50');
  });

  it('is exact for amounts a float quotient would blur', () => {
    // 2^53 - 1 minor units: dividing by 100 as a double would lose the last digits.
    expect(formatMoney(Number.MAX_SAFE_INTEGER, 'USD', { locale: 'en-US' })).toBe('$90,071,992,547,409.91');
  });

  it('formats an overage price per block', () => {
    expect(formatPerUnits(50, 1000, 'USD')).toMatch(/^\$0\.50 per 1,000 units$/);
    expect(formatPerUnits(1, 1, 'USD')).toMatch(/^\$0\.01 per unit$/);
  });
});

describe('minorToDecimal', () => {
  it('writes minor units back as the decimal an admin typed', () => {
    expect(minorToDecimal(1900, 'USD')).toBe('19.00');
    expect(minorToDecimal(5, 'USD')).toBe('0.05');
    expect(minorToDecimal(0, 'USD')).toBe('0.00');
    expect(minorToDecimal(-5, 'USD')).toBe('-0.05');
    expect(minorToDecimal(1900, 'JPY')).toBe('1900');
    expect(minorToDecimal(1234, 'KWD')).toBe('1.234');
  });

  it('refuses fractions of a minor unit', () => {
    expect(() => minorToDecimal(1.5, 'USD')).toThrow(RangeError);
  });
});

describe('parseMoney', () => {
  it('parses decimal strings into minor units exactly', () => {
    expect(minor('19')).toBe(1900);
    expect(minor('19.5')).toBe(1950);
    expect(minor('19.00')).toBe(1900);
    expect(minor('0.29')).toBe(29); // 0.29 * 100 is 28.999999999999996 in floating point
    expect(minor('1.15')).toBe(115); // 1.15 * 100 is 114.99999999999999
    expect(minor('1,900.00')).toBe(190000);
    expect(minor(' 19.99 ')).toBe(1999);
    expect(minor('.5')).toBe(50);
    expect(minor('0')).toBe(0);
  });

  it('adds up without floating-point drift ("0.1" + "0.2" is "0.3")', () => {
    expect(minor('0.1') + minor('0.2')).toBe(minor('0.3'));
    expect(minor('0.1') + minor('0.2')).toBe(30);
    expect(0.1 + 0.2).not.toBe(0.3); // what the helper avoids
  });

  it('round-trips with minorToDecimal', () => {
    for (const value of [0, 1, 29, 115, 1900, 19999, 100_000_000]) {
      expect(minor(minorToDecimal(value, 'USD'))).toBe(value);
    }
  });

  it('refuses more decimals than the currency has', () => {
    expect(parseMoney('19.999', 'USD')).toEqual({ ok: false, error: 'Use at most 2 decimal places.' });
    expect(parseMoney('19.5', 'JPY')).toEqual({ ok: false, error: 'JPY has no minor units: enter a whole amount.' });
    expect(minor('19', 'JPY')).toBe(19);
    expect(minor('1.234', 'KWD')).toBe(1234);
  });

  it('refuses negatives, garbage and empty input', () => {
    expect(parseMoney('-1', 'USD')).toEqual({ ok: false, error: 'The amount cannot be negative.' });
    expect(parseMoney('-0.01', 'USD').ok).toBe(false);
    expect(parseMoney('', 'USD')).toEqual({ ok: false, error: 'Enter an amount.' });
    for (const text of ['abc', '1e3', '19,5', '1,90', '$19', '19.', '.', '1.2.3', 'Infinity', '0x10']) {
      expect(parseMoney(text, 'USD').ok, text).toBe(false);
    }
  });

  it('refuses amounts above the maximum, without losing precision on huge input', () => {
    expect(parseMoney('1000000.00', 'USD', { max: 100_000_000 })).toEqual({ ok: true, value: 100_000_000 });
    expect(parseMoney('1000000.01', 'USD', { max: 100_000_000 }).ok).toBe(false);
    expect(parseMoney('99999999999999999999', 'USD').ok).toBe(false);
  });

  it('knows the minor-unit digits of a currency', () => {
    expect(currencyDigits('USD')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
    expect(currencyDigits('usd!')).toBe(2);
  });
});
