import { describe, expect, it } from 'vitest';
import { resetText, subjectError, windowText } from './subject';

describe('rate limit subject', () => {
  it('checks addresses and ids', () => {
    expect(subjectError('ip', '203.0.113.7')).toBeUndefined();
    expect(subjectError('ip', '2001:db8::1')).toBeUndefined();
    expect(subjectError('ip', '300.1.1.1')).toMatch(/IPv4 or IPv6/);
    expect(subjectError('user', '')).toMatch(/Enter the user id/);
    expect(subjectError('key', 'tg_live_abc')).toMatch(/not the secret key/);
    expect(subjectError('key', '11111111-1111-4111-8111-111111111111')).toBeUndefined();
  });

  it('describes windows and resets', () => {
    expect(windowText(60)).toBe('per minute');
    expect(windowText(900)).toBe('per 15 minutes');
    expect(windowText(30)).toBe('per 30 seconds');
    expect(resetText(0)).toBe('now');
    expect(resetText(41_200)).toBe('in 42 s');
    expect(resetText(150_000)).toBe('in 3 min');
  });
});
