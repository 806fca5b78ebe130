/**
 * GET/PATCH /api/user/notification-preferences: which notification kinds also come by email. All six kinds are on
 * by default; a PATCH changes only the kinds it names; unknown kinds, non-boolean values, an empty or missing
 * `email` object and unknown fields answer 422 without changing anything; 415 for a non-JSON body, 400 for broken
 * JSON, 401 without a token. The setting is honoured: with new_sign_in off, a sign-in from a new browser still
 * puts the notification in the bell, but queues no email (migration 0012 tg_notify).
 */
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { TollgateServer } from '../harness/server.js';
import { api, dbQuery, login, registerAccount } from './auth-helpers.js';
import { ok, problem, invalid } from './org-helpers.js';

const PREFS = '/api/user/notification-preferences';
const NOTES = '/api/notifications';
const KINDS = ['quota_80', 'quota_100', 'payment_failed', 'payment_succeeded', 'key_expiring', 'new_sign_in'] as const;
const ALL_ON = Object.fromEntries(KINDS.map((k) => [k, true]));

const ENV = { RATE_LIMIT_IP_MAX: '100000', RATE_LIMIT_USER_MAX: '100000', STRIPE_SECRET_KEY: '', PUBLIC_URL: 'https://app.tollgate.test' };

async function getPrefs(s: TollgateServer, token: string): Promise<any> {
  return ok(await api(s, 'get', PREFS, { token }), 'get', PREFS, 200);
}

function patch(s: TollgateServer, token: string | undefined, body: unknown, headers: Record<string, string> = {}) {
  return api(s, 'patch', PREFS, { token, body, headers });
}

/** email_outbox rows of the user with `template`. */
async function outbox(s: TollgateServer, userId: string, template: string): Promise<any[]> {
  const r = await dbQuery(s, 'SELECT * FROM email_outbox WHERE user_id = $1 AND template = $2 ORDER BY created_at', [userId, template]);
  return r.rows;
}

describe('/api/user/notification-preferences', () => {
  const server = useServer(ENV);
  printLogsOnFailure();

  it('401: GET and PATCH without a token (or with a bad one)', async () => {
    problem(await api(server(), 'get', PREFS), 'get', PREFS, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'get', PREFS, { token: 'not-a-jwt' }), 'get', PREFS, 401, 'UNAUTHORIZED');
    problem(await patch(server(), undefined, { email: { quota_80: false } }), 'patch', PREFS, 401, 'UNAUTHORIZED');
  });

  it('200 GET: every kind is on by default; Cache-Control: no-store', async () => {
    const a = await registerAccount(server(), {}, 'prefs-default');
    const r = await api(server(), 'get', PREFS, { token: a.result.accessToken });
    expect(ok(r, 'get', PREFS, 200)).toEqual({ email: ALL_ON });
    expect(r.headers.get('cache-control')).toMatch(/no-store/);
  });

  it('200 PATCH: only the kinds sent change; the others keep their setting; GET agrees; another user is unaffected', async () => {
    const a = await registerAccount(server(), {}, 'prefs-patch');
    const other = await registerAccount(server(), {}, 'prefs-other');
    const token = a.result.accessToken;

    const one = ok(await patch(server(), token, { email: { quota_80: false } }), 'patch', PREFS, 200);
    expect(one).toEqual({ email: { ...ALL_ON, quota_80: false } });
    expect(await getPrefs(server(), token)).toEqual(one);

    // Two more kinds: quota_80 stays off, payment_succeeded turns off, new_sign_in is sent as true (no change).
    const two = ok(await patch(server(), token, { email: { payment_succeeded: false, new_sign_in: true } }), 'patch', PREFS, 200);
    expect(two).toEqual({ email: { ...ALL_ON, quota_80: false, payment_succeeded: false } });

    // Back on.
    const three = ok(await patch(server(), token, { email: { quota_80: true } }), 'patch', PREFS, 200);
    expect(three).toEqual({ email: { ...ALL_ON, payment_succeeded: false } });
    expect(await getPrefs(server(), token)).toEqual(three);

    expect(await getPrefs(server(), other.result.accessToken)).toEqual({ email: ALL_ON });
  });

  it('422 VALIDATION_FAILED: unknown kind, non-boolean, empty / missing / non-object email, unknown field — nothing changes', async () => {
    const a = await registerAccount(server(), {}, 'prefs-422');
    const token = a.result.accessToken;
    ok(await patch(server(), token, { email: { key_expiring: false } }), 'patch', PREFS, 200);
    const before = await getPrefs(server(), token);

    invalid(await patch(server(), token, { email: { quota_50: false } }), 'patch', PREFS, 'email.quota_50');
    // A known kind next to an unknown one is not applied either.
    invalid(await patch(server(), token, { email: { quota_80: false, sms: true } }), 'patch', PREFS, 'email.sms');
    // subscription_changed is a notification kind but not one that can be mailed on/off.
    invalid(await patch(server(), token, { email: { subscription_changed: false } }), 'patch', PREFS, 'email.subscription_changed');
    invalid(await patch(server(), token, { email: { quota_80: 'no' } }), 'patch', PREFS, 'email.quota_80');
    invalid(await patch(server(), token, { email: { quota_80: 0 } }), 'patch', PREFS, 'email.quota_80');
    invalid(await patch(server(), token, { email: { quota_80: null } }), 'patch', PREFS, 'email.quota_80');
    invalid(await patch(server(), token, { email: {} }), 'patch', PREFS, 'email');
    invalid(await patch(server(), token, {}), 'patch', PREFS, 'email');
    invalid(await patch(server(), token, { email: true }), 'patch', PREFS, 'email');
    invalid(await patch(server(), token, { email: [] }), 'patch', PREFS, 'email');
    invalid(await patch(server(), token, { email: { quota_80: false }, sms: { quota_80: true } }), 'patch', PREFS, 'sms');
    invalid(await patch(server(), token, '[]'), 'patch', PREFS, '');

    expect(await getPrefs(server(), token)).toEqual(before);
    expect(before).toEqual({ email: { ...ALL_ON, key_expiring: false } });
  });

  it('415 for a body that is not JSON; 400 MALFORMED_JSON for broken JSON — nothing changes', async () => {
    const a = await registerAccount(server(), {}, 'prefs-415');
    const token = a.result.accessToken;
    const body = JSON.stringify({ email: { quota_80: false } });
    problem(await patch(server(), token, body, { 'content-type': 'text/plain' }), 'patch', PREFS, 415, 'UNSUPPORTED_MEDIA_TYPE');
    problem(await patch(server(), token, 'email=quota_80', { 'content-type': 'application/x-www-form-urlencoded' }), 'patch', PREFS, 415, 'UNSUPPORTED_MEDIA_TYPE');
    problem(await patch(server(), token, '{"email": {"quota_80": false}'), 'patch', PREFS, 400, 'MALFORMED_JSON');
    expect(await getPrefs(server(), token)).toEqual({ email: ALL_ON });
  });

  it('new_sign_in off: a sign-in from a new browser still lands in the bell, but no email is queued; back on → email', async () => {
    const a = await registerAccount(server(), {}, 'prefs-signin');
    const userId = a.result.user.id as string;
    const token = a.result.accessToken;
    ok(await patch(server(), token, { email: { new_sign_in: false } }), 'patch', PREFS, 200);

    const ua1 = 'Mozilla/5.0 (PrefsTest) MutedBrowser/1.0';
    const r1 = await login(server(), a.email, a.password, { 'user-agent': ua1 });
    expect(r1.status, r1.text).toBe(200);
    const page1 = ok(await api(server(), 'get', NOTES, { token }), 'get', NOTES, 200);
    expect(page1.items.map((n: any) => n.kind)).toEqual(['new_sign_in']);
    expect(page1.items[0].payload).toMatchObject({ userAgent: ua1 });
    expect(page1.unread).toBe(1);
    expect(await outbox(server(), userId, 'new_sign_in')).toHaveLength(0);
    const stored = await dbQuery(server(), `SELECT emailed_at FROM notifications WHERE user_id = $1 AND kind = 'new_sign_in'`, [userId]);
    expect(stored.rows).toHaveLength(1);
    expect(stored.rows[0].emailed_at).toBeNull();

    // Other kinds are not affected by this setting, and turning it back on mails the next new browser.
    ok(await patch(server(), token, { email: { new_sign_in: true } }), 'patch', PREFS, 200);
    const ua2 = 'Mozilla/5.0 (PrefsTest) LoudBrowser/2.0';
    const r2 = await login(server(), a.email, a.password, { 'user-agent': ua2 });
    expect(r2.status, r2.text).toBe(200);
    const page2 = ok(await api(server(), 'get', NOTES, { token }), 'get', NOTES, 200);
    expect(page2.items.map((n: any) => n.payload.userAgent)).toEqual([ua2, ua1]);
    const mails = await outbox(server(), userId, 'new_sign_in');
    expect(mails).toHaveLength(1);
    expect(mails[0].to_email.toLowerCase()).toBe(a.email.toLowerCase());
    expect(mails[0].payload).toMatchObject({ userAgent: ua2 });
  });
});
