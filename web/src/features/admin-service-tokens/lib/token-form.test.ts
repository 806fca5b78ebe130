import { describe, expect, it } from 'vitest';
import { expiryError, expiryInstant, localDate, nameError } from './token-form';

describe('service token form', () => {
  it('checks the name and the expiry date', () => {
    expect(nameError('  ')).toMatch(/Name the token/);
    expect(nameError('x'.repeat(101))).toMatch(/at most 100/);
    expect(nameError('Orders service')).toBeUndefined();
    const today = new Date(2025, 2, 10);
    expect(expiryError('', today)).toBeUndefined();
    expect(expiryError('2025-03-10', today)).toMatch(/after today/);
    expect(expiryError('2025-03-11', today)).toBeUndefined();
    expect(localDate(today)).toBe('2025-03-10');
  });

  it('expires at the end of the chosen local day', () => {
    expect(expiryInstant('2025-03-11')).toBe(new Date(2025, 2, 12).toISOString());
  });
});
