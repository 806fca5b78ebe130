import { describe, expect, it } from 'vitest';
import { expiresAtFor, graceError, nameError, parseMetadata, rateLimitError } from './key-form';

describe('parseMetadata', () => {
  it('accepts empty input and JSON objects', () => {
    expect(parseMetadata('  ')).toEqual({ ok: true, value: undefined });
    expect(parseMetadata('{"customer":"acme","n":1}')).toEqual({ ok: true, value: { customer: 'acme', n: 1 } });
  });

  it('refuses invalid JSON, non-objects and more than 4 KiB', () => {
    expect(parseMetadata('{customer: acme}')).toMatchObject({ ok: false, error: expect.stringContaining('not valid JSON') });
    for (const text of ['[]', '"x"', '1', 'null']) {
      expect(parseMetadata(text)).toMatchObject({ ok: false, error: expect.stringContaining('JSON object') });
    }
    const big = JSON.stringify({ v: 'é'.repeat(2100) });
    expect(parseMetadata(big)).toMatchObject({ ok: false, error: expect.stringContaining('4 KiB') });
  });
});

describe('field checks', () => {
  it('checks name, rate limit and grace hours against the contract', () => {
    expect(nameError(' ')).toBeDefined();
    expect(nameError('x'.repeat(101))).toBeDefined();
    expect(nameError('Production')).toBeUndefined();
    expect(rateLimitError('')).toBeUndefined();
    expect(rateLimitError('0')).toBeDefined();
    expect(rateLimitError('1.5')).toBeDefined();
    expect(rateLimitError('1000000')).toBeUndefined();
    expect(rateLimitError('1000001')).toBeDefined();
    expect(graceError('0')).toBeUndefined();
    expect(graceError('720')).toBeUndefined();
    expect(graceError('721')).toBeDefined();
    expect(graceError('')).toBeDefined();
    expect(graceError('-1')).toBeDefined();
  });

  it('turns an expiry choice into a future date-time within 5 years', () => {
    const now = new Date(2025, 0, 15, 12, 0, 0);
    expect(expiresAtFor('never', '', now)).toEqual({});
    expect(expiresAtFor('30', '', now).value).toBe(new Date(now.getTime() + 30 * 86_400_000).toISOString());
    expect(expiresAtFor('custom', '', now).error).toBeDefined();
    expect(expiresAtFor('custom', '2025-01-15', now).error).toMatch(/after today/);
    expect(expiresAtFor('custom', '2030-01-15', now).error).toMatch(/5 years/);
    expect(expiresAtFor('custom', '2025-03-01', now).value).toBe(new Date(2025, 2, 1, 23, 59, 59).toISOString());
  });
});
