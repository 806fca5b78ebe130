import { describe, expect, it } from 'vitest';
import type { Notification } from '@/types';
import { bellCount, bellLabel, describeNotification } from './notification-text';

function note(kind: Notification['kind'], payload: Record<string, unknown>) {
  return { kind, payload: payload as Notification['payload'] };
}

const NOW = Date.parse('2025-11-28T12:00:00Z');

describe('describeNotification', () => {
  it('says what happened, by kind, from the payload, and where to go', () => {
    expect(describeNotification(note('quota_80', { used: 8000, limit: 10000, hardCap: true }))).toEqual({
      text: "You've used 80% of your included units (8,000 of 10,000)",
      to: '/usage',
      organizationScoped: true,
    });
    expect(describeNotification(note('quota_100', { used: 10000, limit: 10000, hardCap: true })).text).toBe(
      "You've used all your included units (10,000 of 10,000): further calls are refused until the quota resets or you upgrade",
    );
    expect(describeNotification(note('quota_100', { used: 10400, limit: 10000, hardCap: false })).text).toContain('billed as overage');
    // Stripe's currency codes are lower case.
    expect(describeNotification(note('payment_failed', { amountMinor: 9900, currency: 'usd', invoiceNumber: 'INV-1' }))).toEqual({
      text: 'Payment of $99.00 failed — update your card',
      to: '/billing',
      organizationScoped: true,
    });
    expect(describeNotification(note('payment_succeeded', { amountMinor: 1900, currency: 'usd' })).text).toBe(
      'Payment of $19.00 received — thank you',
    );
    const expiring = describeNotification(
      note('key_expiring', { keyId: 'k', name: 'prod', prefix: 'tg_live_ab', expiresAt: '2025-12-03T10:00:00Z' }),
      NOW,
    );
    expect(expiring.text).toMatch(/^Key “prod” \(tg_live_ab…\) expires on (3 Dec|Dec 3)$/);
    expect(expiring.to).toBe('/keys');
    expect(describeNotification(note('key_expiring', { name: 'old', expiresAt: '2026-01-05T10:00:00Z' }), NOW).text).toMatch(/2026/);
    const sign = describeNotification(
      note('new_sign_in', {
        ip: '203.0.113.9',
        userAgent: 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36',
      }),
    );
    expect(sign).toEqual({ text: 'New sign-in from Chrome on macOS (203.0.113.9)', to: '/account#sessions', organizationScoped: false });
  });

  it('has no page for an invitation (accepting needs the emailed token) and says where to accept it', () => {
    const view = describeNotification(note('invitation_received', { invitationId: 'i', organization: 'Acme', inviter: 'Ada', role: 'MEMBER' }));
    expect(view.text).toBe('Ada invited you to Acme as Member');
    expect(view.to).toBeUndefined();
    expect(view.hint).toMatch(/invitation email/);
    expect(describeNotification(note('invitation_received', { organization: 'Acme' })).text).toBe('You were invited to Acme');
  });

  it('copes with missing fields and kinds it does not know', () => {
    expect(describeNotification(note('payment_failed', {})).text).toBe('A payment failed — update your card');
    expect(describeNotification(note('quota_80', {})).text).toBe("You've used 80% of your included units");
    expect(describeNotification(note('new_sign_in', {})).text).toBe('New sign-in from Unknown device');
    expect(describeNotification(note('key_expiring', { prefix: 'tg_test_x' })).text).toBe('An API key (tg_test_x…) expires soon');
    expect(describeNotification(note('system' as Notification['kind'], { message: 'Maintenance on Sunday' })).text).toBe('Maintenance on Sunday');
    expect(describeNotification(note('brand_new' as Notification['kind'], {})).text).toBe('Notification');
  });
});

describe('bell label', () => {
  it('names the unread count for screen readers and caps the visible count', () => {
    expect(bellLabel(0)).toBe('Notifications');
    expect(bellLabel(3)).toBe('Notifications, 3 unread');
    expect(bellCount(7)).toBe('7');
    expect(bellCount(120)).toBe('99+');
  });
});
