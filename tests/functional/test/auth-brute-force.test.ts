/**
 * Acceptance: brute force. One account attacked from many IPs is locked (ACCOUNT_LOCKED); one IP trying many
 * accounts is throttled (TOO_MANY_ATTEMPTS). Client IPs come from X-Forwarded-For, believed from 127.0.0.1.
 */
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { FetchResult } from '../harness/http.js';
import {
  HIGH_IP_LIMIT,
  expectProblem,
  login,
  registerAccount,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/auth/login' as const;

function expect429(r: FetchResult, code: 'ACCOUNT_LOCKED' | 'TOO_MANY_ATTEMPTS'): void {
  expectProblem(r, 'post', PATH, 429, code);
  const n = Number(r.headers.get('retry-after'));
  expect(Number.isInteger(n) && n > 0, `Retry-After=${r.headers.get('retry-after')}`).toBe(true);
  expect(r.json).not.toHaveProperty('accessToken');
  expect(r.headers.getSetCookie().some((c) => c.startsWith('__Host-tollgate_refresh='))).toBe(false);
}

const xff = (ip: string) => ({ 'x-forwarded-for': ip });

describe('brute force (TRUSTED_PROXIES=127.0.0.1/32)', () => {
  const server = useServer({ ...HIGH_IP_LIMIT, TRUSTED_PROXIES: '127.0.0.1/32' });
  printLogsOnFailure();

  it('one account attacked from many IPs → ACCOUNT_LOCKED (also for the right password from yet another IP)', async () => {
    const victim = await registerAccount(server(), {}, 'bf-victim');
    for (let i = 0; i < 5; i++) {
      expectProblem(await login(server(), victim.email, `guess-${i}`, xff(`192.0.2.${10 + i}`)), 'post', PATH, 401, 'INVALID_CREDENTIALS');
    }
    expect429(await login(server(), victim.email, 'guess-5', xff('192.0.2.50')), 'ACCOUNT_LOCKED');
    expect429(await login(server(), victim.email, victim.password, xff('192.0.2.51')), 'ACCOUNT_LOCKED');
    expect(await waitAudit(server(), victim.result.user.id, 'auth.login.locked')).toContain('auth.login.locked');
    // Those IPs are not throttled themselves: another account signs in from one of them.
    const bystander = await registerAccount(server(), {}, 'bf-bystander');
    const r = await login(server(), bystander.email, bystander.password, xff('192.0.2.10'));
    expect(r.status, r.text).toBe(200);
  });

  it('one IP trying many accounts (one guess each) → TOO_MANY_ATTEMPTS after 20 failures; the accounts are not locked', async () => {
    const accounts = [];
    for (let i = 0; i < 21; i++) accounts.push(await registerAccount(server(), {}, `bf-spray-${i}`));
    const attacker = xff('198.51.100.99');
    for (let i = 0; i < 20; i++) {
      expectProblem(await login(server(), accounts[i]!.email, 'Summer2024!Summer', attacker), 'post', PATH, 401, 'INVALID_CREDENTIALS');
    }
    expect429(await login(server(), accounts[20]!.email, 'Summer2024!Summer', attacker), 'TOO_MANY_ATTEMPTS');
    expect429(await login(server(), accounts[20]!.email, accounts[20]!.password, attacker), 'TOO_MANY_ATTEMPTS');
    // Each account saw only one failure: their owners sign in from their own IPs.
    for (const a of [accounts[0]!, accounts[19]!, accounts[20]!]) {
      const r = await login(server(), a.email, a.password, xff('203.0.113.200'));
      expect(r.status, r.text).toBe(200);
    }
  });
});
