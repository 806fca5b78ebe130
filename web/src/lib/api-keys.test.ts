import { describe, expect, it } from 'vitest';
import { describeKeyStatus } from './api-keys';

const NOW = Date.parse('2025-06-15T12:00:00Z');

describe('describeKeyStatus', () => {
  it('names each status, and the rotation grace state', () => {
    expect(describeKeyStatus({ status: 'active', graceEndsAt: null }, NOW)).toMatchObject({ state: 'active', label: 'Active' });
    expect(describeKeyStatus({ status: 'disabled', graceEndsAt: null }, NOW)).toMatchObject({ state: 'disabled' });
    expect(describeKeyStatus({ status: 'expired', graceEndsAt: null }, NOW)).toMatchObject({ state: 'expired' });
    expect(describeKeyStatus({ status: 'revoked', graceEndsAt: null }, NOW)).toMatchObject({ state: 'revoked' });
    const rotating = describeKeyStatus({ status: 'active', graceEndsAt: '2025-06-16T12:00:00Z' }, NOW);
    expect(rotating.state).toBe('rotating');
    expect(rotating.label).toMatch(/^Rotating — works until /);
  });

  it('treats a key whose grace period has ended as revoked', () => {
    expect(describeKeyStatus({ status: 'active', graceEndsAt: '2025-06-15T11:59:00Z' }, NOW)).toMatchObject({ state: 'revoked' });
  });
});
