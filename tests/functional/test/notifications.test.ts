/**
 * The bell: GET /api/notifications (newest first, the unread count of all of them, `limit`/`before` pages with
 * nextCursor, `unread=true`), POST /api/notifications/{id}/read (204, idempotent, 404 NOTIFICATION_NOT_FOUND for
 * another user's and for a non-uuid) and POST /api/notifications/read-all ({marked}).
 *
 * The notifications come from real events (tg_notify, migration 0012: the bell row once per dedupe key, and the
 * email unless the user turned that kind off):
 *   new_sign_in          a password sign-in from a user agent the account has not used before (email new_sign_in)
 *   invitation_received  an existing account invited to a team (no notification email: the invitation mail goes out)
 *   key_expiring         the periodic job (every BILLING_JOB_INTERVAL_SECONDS): keys expiring within 7 days, to the
 *                        members who manage keys (OWNER, ADMIN, MEMBER), once per key, expiry and member
 *   quota_80/quota_100   the billing job: 80 % / 100 % of the included units, to OWNER and BILLING members
 *   payment_failed/…succeeded  an invoice's payment outcome mirrored from Stripe (the fake), to OWNER and BILLING
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { TollgateServer } from '../harness/server.js';
import { sleep } from '../harness/env.js';
import { startFakeStripe, type FakeStripe } from '../harness/fake-stripe.js';
import { api, dbQuery, enableTwoFactor, login, loginChallenge, verifyMfa } from './auth-helpers.js';
import { totpDevice } from '../harness/totp.js';
import { KEYS, KEY, newTenant, setPlan, type Tenant } from './keys-helpers.js';
import { ok, problem, invalid, call, createOrg, invite, addMember, team, userOf, UUID_RE, type Team } from './org-helpers.js';
import { addUsage, customerOf, deliverAndWait, emitted, insertPlan, localEnv, stripeEnv, until } from './billing-helpers.js';

const LIST = '/api/notifications';
const READ = '/api/notifications/{id}/read';
const READ_ALL = '/api/notifications/read-all';
const readUrl = (id: string) => `/api/notifications/${encodeURIComponent(id)}/read`;

/** GET /api/notifications (spec-valid 200). */
async function bell(s: TollgateServer, token: string, query: Record<string, string> = {}): Promise<any> {
  const qs = new URLSearchParams(query).toString();
  const r = await api(s, 'get', LIST + (qs ? `?${qs}` : ''), { token });
  const body = ok(r, 'get', LIST, 200);
  expect(r.headers.get('cache-control')).toMatch(/no-store/);
  return body;
}

/** The user's notifications of `kind` (all pages, newest first). */
async function ofKind(s: TollgateServer, token: string, kind: string): Promise<any[]> {
  const b = await bell(s, token, { limit: '100' });
  return b.items.filter((n: any) => n.kind === kind);
}

/** Waits (≤ withinMs) until the user has at least `count` notifications of `kind`; returns them. */
async function waitKind(s: TollgateServer, token: string, kind: string, count = 1, withinMs = 15_000): Promise<any[]> {
  return until(`${count} ${kind} notification(s)`, async () => {
    const xs = await ofKind(s, token, kind);
    return xs.length >= count ? xs : undefined;
  }, withinMs);
}

/** email_outbox rows of the user with `template`, oldest first. */
async function outbox(s: TollgateServer, userId: string, template: string): Promise<any[]> {
  const r = await dbQuery(s, 'SELECT * FROM email_outbox WHERE user_id = $1 AND template = $2 ORDER BY created_at', [userId, template]);
  return r.rows;
}

/** Waits until the rows of `template` to the user have left queued/sending; returns them. */
async function settledMails(s: TollgateServer, userId: string, template: string, withinMs = 20_000): Promise<any[]> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const rows = await outbox(s, userId, template);
    if ((rows.length > 0 && rows.every((x) => x.status !== 'queued' && x.status !== 'sending')) || Date.now() > deadline) return rows;
    await sleep(200);
  }
}

/** The one mail of `template` to the user was rendered and sent (status 'sent', with its subject). */
async function expectMailSent(s: TollgateServer, user: { userId: string; email: string }, template: string, subject: RegExp): Promise<any> {
  const rows = await settledMails(s, user.userId, template);
  expect(rows.length, `one ${template} email to ${user.email}`).toBe(1);
  const m = rows[0];
  expect(m.to_email.toLowerCase()).toBe(user.email.toLowerCase());
  expect(m.status, `${template} email to ${user.email}: status ${m.status}, last_error ${m.last_error}`).toBe('sent');
  expect(m.subject).toMatch(subject);
  return m;
}

function expectRecent(iso: string, withinMs = 120_000): void {
  const t = Date.parse(iso);
  expect(Number.isFinite(t), iso).toBe(true);
  expect(Math.abs(Date.now() - t), `${iso} is about now`).toBeLessThan(withinMs);
}

/** Signs in from a browser (user agent) of its own: one new_sign_in notification each. */
async function signInFrom(s: TollgateServer, t: { email: string; password: string }, ua: string): Promise<void> {
  const r = await login(s, t.email, t.password, { 'user-agent': ua });
  expect(r.status, r.text).toBe(200);
  expect(r.json.accessToken).toBeTypeOf('string');
}

describe('notifications (local billing, jobs every second)', () => {
  const server = useServer(localEnv({ BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure();

  // ------------------------------------------------------------------------------------------- GET

  it('401: no token, or a token that is not one (all three routes)', async () => {
    problem(await api(server(), 'get', LIST), 'get', LIST, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'get', LIST, { token: 'not-a-jwt' }), 'get', LIST, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'post', readUrl(crypto.randomUUID())), 'post', READ, 401, 'UNAUTHORIZED');
    problem(await api(server(), 'post', READ_ALL), 'post', READ_ALL, 401, 'UNAUTHORIZED');
  });

  it('200 empty: a fresh account has no notifications', async () => {
    const t = await newTenant(server(), 'bell-empty');
    expect(await bell(server(), t.token)).toEqual({ items: [], unread: 0, nextCursor: null });
    expect(await bell(server(), t.token, { unread: 'true' })).toEqual({ items: [], unread: 0, nextCursor: null });
  });

  it('new_sign_in: a sign-in from a new user agent → notification and email; the same user agent again → none', async () => {
    const t = await newTenant(server(), 'bell-signin');
    // The registration's own user agent is known: signing in from it is not news.
    const same = await login(server(), t.email, t.password);
    expect(same.status).toBe(200);
    expect((await bell(server(), t.token)).items).toEqual([]);

    const ua = 'Mozilla/5.0 (X11; Linux x86_64) BellTestBrowser/7.1';
    await signInFrom(server(), t, ua);
    const b = await bell(server(), t.token);
    expect(b.unread).toBe(1);
    expect(b.items).toHaveLength(1);
    const n = b.items[0];
    expect(n).toMatchObject({ kind: 'new_sign_in', organizationId: null, read: false, payload: { ip: '127.0.0.1', userAgent: ua } });
    expect(n.id).toMatch(UUID_RE);
    expectRecent(n.createdAt);
    const m = await expectMailSent(server(), t, 'new_sign_in', /New sign-in/);
    expect(m.payload).toMatchObject({ userAgent: ua });

    await signInFrom(server(), t, ua);
    const again = await bell(server(), t.token);
    expect(again.items.map((x: any) => x.id)).toEqual([n.id]);
    expect(await outbox(server(), t.userId, 'new_sign_in')).toHaveLength(1);
  });

  it('new_sign_in also for an account with two-factor: password + TOTP code from a new user agent → notification and email', async () => {
    const t = await newTenant(server(), 'bell-signin-2fa');
    const tf = await enableTwoFactor(server(), t.token, t.password);
    const ua = { 'user-agent': 'Mozilla/5.0 (Macintosh) TwoFactorBrowser/3.2' };
    const mfaToken = await loginChallenge(server(), t.email, t.password, ua);
    const r = await verifyMfa(server(), mfaToken, await totpDevice(tf.secret).next(), ua);
    expect(r.status, r.text).toBe(200);
    expect(r.json.accessToken).toBeTypeOf('string');
    const xs = await ofKind(server(), t.token, 'new_sign_in');
    expect(xs.length, 'one new_sign_in notification after a 2FA sign-in from a new browser').toBe(1);
    expect(xs[0].payload).toMatchObject({ ip: '127.0.0.1', userAgent: ua['user-agent'] });
    await expectMailSent(server(), t, 'new_sign_in', /New sign-in/);
  });

  it('newest first, unread counts all; limit/before pages with nextCursor; unread=true filter', async () => {
    const t = await newTenant(server(), 'bell-pages');
    const uas = [1, 2, 3, 4, 5].map((i) => `PagingBrowser/${i}.0`);
    for (const ua of uas) await signInFrom(server(), t, ua);
    const newestFirst = [...uas].reverse();

    const all = await bell(server(), t.token);
    expect(all.items.map((n: any) => n.payload.userAgent)).toEqual(newestFirst);
    expect(all.unread).toBe(5);
    expect(all.nextCursor).toBeNull();
    const ids = all.items.map((n: any) => n.id as string);
    for (let i = 1; i < all.items.length; i++) {
      expect(Date.parse(all.items[i - 1].createdAt)).toBeGreaterThanOrEqual(Date.parse(all.items[i].createdAt));
    }

    const p1 = await bell(server(), t.token, { limit: '2' });
    expect(p1.items.map((n: any) => n.id)).toEqual(ids.slice(0, 2));
    expect(p1.nextCursor).toBe(ids[1]);
    expect(p1.unread).toBe(5);
    const p2 = await bell(server(), t.token, { limit: '2', before: p1.nextCursor });
    expect(p2.items.map((n: any) => n.id)).toEqual(ids.slice(2, 4));
    expect(p2.nextCursor).toBe(ids[3]);
    expect(p2.unread).toBe(5);
    const p3 = await bell(server(), t.token, { limit: '2', before: p2.nextCursor });
    expect(p3.items.map((n: any) => n.id)).toEqual(ids.slice(4));
    expect(p3.nextCursor).toBeNull();
    // Exactly one page left: no cursor on a full last page either.
    const exact = await bell(server(), t.token, { limit: '5' });
    expect(exact.items).toHaveLength(5);
    expect(exact.nextCursor).toBeNull();
    // Upper-case cursor is the same id.
    expect((await bell(server(), t.token, { limit: '2', before: ids[1]!.toUpperCase() })).items.map((n: any) => n.id)).toEqual(ids.slice(2, 4));

    // Read the 2nd and 4th: unread counts 3; unread=true lists only the others, still newest first and paged.
    ok(await api(server(), 'post', readUrl(ids[1]!), { token: t.token }), 'post', READ, 204);
    ok(await api(server(), 'post', readUrl(ids[3]!), { token: t.token }), 'post', READ, 204);
    const after = await bell(server(), t.token);
    expect(after.unread).toBe(3);
    expect(after.items.map((n: any) => n.read)).toEqual([false, true, false, true, false]);
    const unread = await bell(server(), t.token, { unread: 'true' });
    expect(unread.items.map((n: any) => n.id)).toEqual([ids[0], ids[2], ids[4]]);
    expect(unread.unread).toBe(3);
    const u1 = await bell(server(), t.token, { unread: 'true', limit: '2' });
    expect(u1.items.map((n: any) => n.id)).toEqual([ids[0], ids[2]]);
    expect(u1.nextCursor).toBe(ids[2]);
    const u2 = await bell(server(), t.token, { unread: 'true', limit: '2', before: u1.nextCursor });
    expect(u2.items.map((n: any) => n.id)).toEqual([ids[4]]);
    expect(u2.nextCursor).toBeNull();
    expect((await bell(server(), t.token, { unread: 'false' })).items).toHaveLength(5);

    // Another user's cursor (or an unknown one) shows nothing of theirs and nothing of its owner.
    const other = await newTenant(server(), 'bell-pages-other');
    expect((await bell(server(), other.token, { before: ids[0]! })).items).toEqual([]);
    expect((await bell(server(), other.token)).items).toEqual([]);
  });

  it('422 VALIDATION_FAILED: limit outside 1..100 or not an integer, before not a uuid, unread not true/false', async () => {
    const t = await newTenant(server(), 'bell-422');
    const q = (query: string) => api(server(), 'get', `${LIST}?${query}`, { token: t.token });
    for (const bad of ['0', '101', '-1', 'abc', '1.5', '']) invalid(await q(`limit=${bad}`), 'get', LIST, 'limit');
    for (const bad of ['abc', '123', 'x'.repeat(36)]) invalid(await q(`before=${bad}`), 'get', LIST, 'before');
    for (const bad of ['yes', '1', 'TRUE', '']) invalid(await q(`unread=${bad}`), 'get', LIST, 'unread');
    const both = invalid(await q('limit=0&unread=maybe'), 'get', LIST, 'limit');
    expect(both.errors.some((e: any) => e.field === 'unread')).toBe(true);
    ok(await q('limit=1'), 'get', LIST, 200);
    ok(await q('limit=100'), 'get', LIST, 200);
  });

  // ---------------------------------------------------------------------------------------- read

  it('POST /{id}/read: 204 and read; again 204 (read time kept); 404 NOTIFICATION_NOT_FOUND for another user\'s, an unknown and a non-uuid id', async () => {
    const t = await newTenant(server(), 'bell-read');
    const other = await newTenant(server(), 'bell-read-other');
    await signInFrom(server(), t, 'ReadBrowser/1.0');
    await signInFrom(server(), other, 'ReadBrowser/2.0');
    const [mine] = (await bell(server(), t.token)).items;
    const [theirs] = (await bell(server(), other.token)).items;

    const r = await api(server(), 'post', readUrl(mine.id), { token: t.token });
    ok(r, 'post', READ, 204);
    const b = await bell(server(), t.token);
    expect(b.items[0]).toMatchObject({ id: mine.id, read: true });
    expect(b.unread).toBe(0);
    const first = (await dbQuery(server(), 'SELECT read_at FROM notifications WHERE id = $1', [mine.id])).rows[0].read_at;
    expect(first).not.toBeNull();
    await sleep(20);
    ok(await api(server(), 'post', readUrl(mine.id.toUpperCase()), { token: t.token }), 'post', READ, 204);
    const second = (await dbQuery(server(), 'SELECT read_at FROM notifications WHERE id = $1', [mine.id])).rows[0].read_at;
    expect(second.getTime()).toBe(first.getTime());

    const foreign = await api(server(), 'post', readUrl(theirs.id), { token: t.token });
    problem(foreign, 'post', READ, 404, 'NOTIFICATION_NOT_FOUND');
    const unknown = await api(server(), 'post', readUrl(crypto.randomUUID()), { token: t.token });
    problem(unknown, 'post', READ, 404, 'NOTIFICATION_NOT_FOUND');
    const notUuid = await api(server(), 'post', readUrl('not-a-uuid'), { token: t.token });
    problem(notUuid, 'post', READ, 404, 'NOTIFICATION_NOT_FOUND');
    const strip = (x: any) => ({ ...x, requestId: undefined });
    expect(strip(foreign.json)).toEqual(strip(unknown.json));
    // The other user's notification is still unread.
    const theirsNow = await bell(server(), other.token);
    expect(theirsNow.items[0]).toMatchObject({ id: theirs.id, read: false });
    expect(theirsNow.unread).toBe(1);
  });

  it('POST /read-all: {marked: the unread count}, then {marked: 0}; only the caller\'s', async () => {
    const t = await newTenant(server(), 'bell-readall');
    const other = await newTenant(server(), 'bell-readall-other');
    for (const ua of ['AllBrowser/1', 'AllBrowser/2', 'AllBrowser/3']) await signInFrom(server(), t, ua);
    await signInFrom(server(), other, 'AllBrowser/9');
    const [newest] = (await bell(server(), t.token)).items;
    ok(await api(server(), 'post', readUrl(newest.id), { token: t.token }), 'post', READ, 204);

    const r = await api(server(), 'post', READ_ALL, { token: t.token });
    expect(ok(r, 'post', READ_ALL, 200)).toEqual({ marked: 2 });
    const b = await bell(server(), t.token);
    expect(b.unread).toBe(0);
    expect(b.items.every((n: any) => n.read === true)).toBe(true);
    expect((await bell(server(), t.token, { unread: 'true' })).items).toEqual([]);
    expect(ok(await api(server(), 'post', READ_ALL, { token: t.token }), 'post', READ_ALL, 200)).toEqual({ marked: 0 });
    expect((await bell(server(), other.token)).unread).toBe(1);
  });

  // -------------------------------------------------------------------------------------- events

  it('invitation_received: an existing account invited to a team sees it (organization, role); a new address gets none', async () => {
    const owner = await newTenant(server(), 'bell-inv-owner');
    const org = await createOrg(server(), owner, `Bell Team ${crypto.randomBytes(2).toString('hex')}`);
    await setPlan(server(), org.id, 'business');
    const invitee = await newTenant(server(), 'bell-inv-invitee');
    const inv = await invite(server(), owner.token, org.id, invitee.email.toUpperCase(), 'ADMIN');

    const [n] = await waitKind(server(), invitee.token, 'invitation_received', 1, 5000);
    expect(n).toMatchObject({ kind: 'invitation_received', organizationId: org.id, read: false });
    expect(n.payload).toMatchObject({ invitationId: inv.id, organization: org.name, role: 'ADMIN' });
    expect(typeof n.payload.inviter).toBe('string');
    expect(n.payload).not.toHaveProperty('token');
    expectRecent(n.createdAt);
    // The inviter is not notified; an address without an account has no bell.
    expect(await ofKind(server(), owner.token, 'invitation_received')).toEqual([]);
    const stranger = `nobody-${crypto.randomUUID()}@example.com`;
    const inv2 = await invite(server(), owner.token, org.id, stranger, 'MEMBER');
    const rows = await dbQuery(server(), `SELECT count(*)::int AS n FROM notifications WHERE payload->>'invitationId' = $1`, [inv2.id]);
    expect(rows.rows[0].n).toBe(0);
    // Only one per invitation.
    expect(await ofKind(server(), invitee.token, 'invitation_received')).toHaveLength(1);
  });

  describe('key_expiring (the job every BILLING_JOB_INTERVAL_SECONDS=1)', () => {
    let t: Team;
    let key: any;
    const in3Days = () => new Date(Date.now() + 3 * 86_400_000).toISOString();

    beforeAll(async () => {
      t = await team(server(), 'bell-exp');
      const r = await call(server(), 'post', KEYS, { token: t.owner.token, org: t.id, body: { name: 'expiring-soon', expiresAt: in3Days() } });
      key = ok(r, 'post', KEYS, 201).key;
    });

    it('one notification for each OWNER, ADMIN and MEMBER (not BILLING), with the key; not repeated on the next runs', async () => {
      const [n] = await waitKind(server(), t.owner.token, 'key_expiring');
      expect(n).toMatchObject({ kind: 'key_expiring', organizationId: t.id, read: false });
      expect(n.payload).toMatchObject({ keyId: key.id, name: 'expiring-soon', prefix: key.prefix });
      expect(Date.parse(n.payload.expiresAt)).toBe(Math.floor(Date.parse(key.expiresAt) / 1000) * 1000);
      for (const role of ['ADMIN', 'MEMBER'] as const) {
        const xs = await ofKind(server(), userOf(t, role).token, 'key_expiring');
        expect(xs.length, `${role} gets key_expiring`).toBe(1);
        expect(xs[0].payload.keyId).toBe(key.id);
      }
      // A few more runs of the job: still exactly one each, none for BILLING.
      await sleep(3500);
      for (const role of ['OWNER', 'ADMIN', 'MEMBER'] as const) {
        expect((await ofKind(server(), userOf(t, role).token, 'key_expiring')).length, `${role}: once`).toBe(1);
      }
      expect(await ofKind(server(), userOf(t, 'BILLING').token, 'key_expiring')).toEqual([]);
      const rows = await dbQuery(server(), `SELECT count(*)::int AS n FROM notifications WHERE kind = 'key_expiring' AND payload->>'keyId' = $1`, [key.id]);
      expect(rows.rows[0].n).toBe(3);
    });

    it('the key_expiring email reaches OWNER, ADMIN and MEMBER (rendered and sent)', async () => {
      await waitKind(server(), t.owner.token, 'key_expiring');
      for (const role of ['OWNER', 'ADMIN', 'MEMBER'] as const) {
        const m = await expectMailSent(server(), userOf(t, role), 'key_expiring', /expir/i);
        expect(m.payload).toMatchObject({ name: 'expiring-soon', prefix: key.prefix });
      }
      expect(await outbox(server(), userOf(t, 'BILLING').userId, 'key_expiring')).toEqual([]);
    });

    it('no notification for a key expiring in more than 7 days, a revoked or a disabled key, or a key without expiry', async () => {
      const mk = async (body: Record<string, unknown>) =>
        ok(await call(server(), 'post', KEYS, { token: t.owner.token, org: t.id, body: { name: `k-${crypto.randomBytes(3).toString('hex')}`, ...body } }), 'post', KEYS, 201).key;
      const far = await mk({ expiresAt: new Date(Date.now() + 10 * 86_400_000).toISOString() });
      const revoked = await mk({ expiresAt: in3Days() });
      ok(await call(server(), 'delete', `${KEYS}/${revoked.id}`, { token: t.owner.token, org: t.id }), 'delete', KEY, 204);
      const disabled = await mk({ expiresAt: in3Days() });
      ok(await call(server(), 'patch', `${KEYS}/${disabled.id}`, { token: t.owner.token, org: t.id, body: { status: 'disabled' } }), 'patch', KEY, 200);
      const never = await mk({});
      await sleep(3500);
      const r = await dbQuery(server(), `SELECT payload->>'keyId' AS k FROM notifications WHERE kind = 'key_expiring' AND payload->>'keyId' = ANY($1)`, [
        [far.id, revoked.id, disabled.id, never.id],
      ]);
      expect(r.rows).toEqual([]);
    });
  });

  describe('quota_80 / quota_100 (the billing job every second, a plan with 100 included units)', () => {
    let t: Team;
    let keyId: string;

    beforeAll(async () => {
      const plan = await insertPlan(server(), { includedUnits: 100, policy: 'hard_cap' });
      t = await team(server(), 'bell-quota', ['ADMIN', 'MEMBER', 'BILLING'], plan.slug);
      const r = await call(server(), 'post', KEYS, { token: t.owner.token, org: t.id, body: { name: 'quota' } });
      keyId = ok(r, 'post', KEYS, 201).key.id;
    });

    it('80 %: quota_80 to OWNER and BILLING (payload used/limit/hardCap/periodStart), not to ADMIN or MEMBER; email quota_warning', async () => {
      await addUsage(server(), t.id, keyId, new Date(), 85);
      const [n] = await waitKind(server(), t.owner.token, 'quota_80');
      expect(n).toMatchObject({ kind: 'quota_80', organizationId: t.id, read: false, payload: { used: 85, limit: 100, hardCap: true } });
      expect(typeof n.payload.periodStart).toBe('string');
      expect(Date.parse(n.payload.periodStart)).toBeLessThanOrEqual(Date.now());
      const b = await ofKind(server(), userOf(t, 'BILLING').token, 'quota_80');
      expect(b).toHaveLength(1);
      expect(b[0].payload).toEqual(n.payload);
      await sleep(2500);
      for (const role of ['ADMIN', 'MEMBER'] as const) {
        expect(await ofKind(server(), userOf(t, role).token, 'quota_80'), `${role} sees no quota notice`).toEqual([]);
      }
      expect(await ofKind(server(), t.owner.token, 'quota_80')).toHaveLength(1);
      expect(await ofKind(server(), t.owner.token, 'quota_100')).toEqual([]);
      await expectMailSent(server(), t.owner, 'quota_warning', /80%/);
      await expectMailSent(server(), userOf(t, 'BILLING'), 'quota_warning', /80%/);
      expect(await outbox(server(), userOf(t, 'MEMBER').userId, 'quota_warning')).toEqual([]);
    });

    it('100 %: quota_100 to OWNER and BILLING once; quota_80 is not repeated; email quota_exceeded', async () => {
      await addUsage(server(), t.id, keyId, new Date(), 20);
      const [n] = await waitKind(server(), t.owner.token, 'quota_100');
      expect(n).toMatchObject({ kind: 'quota_100', organizationId: t.id, payload: { used: 105, limit: 100, hardCap: true } });
      expect(await ofKind(server(), userOf(t, 'BILLING').token, 'quota_100')).toHaveLength(1);
      await sleep(2500);
      for (const role of ['OWNER', 'BILLING'] as const) {
        expect(await ofKind(server(), userOf(t, role).token, 'quota_100'), role).toHaveLength(1);
        expect(await ofKind(server(), userOf(t, role).token, 'quota_80'), role).toHaveLength(1);
      }
      for (const role of ['ADMIN', 'MEMBER'] as const) {
        expect(await ofKind(server(), userOf(t, role).token, 'quota_100'), role).toEqual([]);
      }
      await expectMailSent(server(), t.owner, 'quota_exceeded', /quota/);
      await expectMailSent(server(), userOf(t, 'BILLING'), 'quota_exceeded', /quota/);
    });
  });
});

describe('payment_failed / payment_succeeded (Stripe mode against the fake)', () => {
  let fake: FakeStripe;
  beforeAll(async () => {
    fake = await startFakeStripe();
  });
  afterAll(async () => {
    await fake?.close();
  });
  const server = useServer(() => stripeEnv(fake));
  printLogsOnFailure(() => (fake ? `--- webhooks ---\n${fake.deliveries.map((d) => `${d.event.id} ${d.event.type} → ${d.status} ${d.body ?? d.error}`).join('\n')}` : ''));

  beforeAll(() => {
    fake.webhookUrl = server().baseUrl + '/api/stripe/webhook';
  });

  it('a declined invoice payment → payment_failed to OWNER and BILLING (not MEMBER) with amount/invoice; then paid → payment_succeeded', async () => {
    const owner = await newTenant(server(), 'bell-pay-owner');
    const org = await createOrg(server(), owner, 'Bell Pay Team');
    const billing = await newTenant(server(), 'bell-pay-billing');
    const member = await newTenant(server(), 'bell-pay-member');
    await addMember(server(), org.id, billing, 'BILLING', owner.userId);
    await addMember(server(), org.id, member, 'MEMBER', owner.userId);
    const customer = await customerOf(server(), org.id);
    fake.addCard(customer, { brand: 'visa', last4: '0341' }); // declines
    const inv = fake.addInvoice(customer, { amountDue: 4500 });
    const pay = () => fetch(`${fake.url}/v1/invoices/${inv.id}/pay`, { method: 'POST', headers: { authorization: 'Bearer sk_test_tollgate' } });

    expect((await pay()).status).toBe(402);
    await deliverAndWait(server(), fake, emitted(fake, 'invoice.payment_failed', inv.id)[0]!);
    const rec = (await dbQuery(server(), 'SELECT id::text AS id, status FROM billing_records WHERE stripe_invoice_id = $1', [inv.id])).rows[0];
    expect(rec?.status).toBe('failed');

    const recipients: Tenant[] = [owner, billing];
    for (const u of recipients) {
      const xs = await ofKind(server(), u.token, 'payment_failed');
      expect(xs.length, `payment_failed for ${u.email}`).toBe(1);
      expect(xs[0]).toMatchObject({
        kind: 'payment_failed',
        organizationId: org.id,
        read: false,
        payload: { amountMinor: 4500, currency: 'usd', invoiceNumber: inv.number, invoiceId: rec.id },
      });
      await expectMailSent(server(), u, 'payment_failed', /failed/);
    }
    expect(await ofKind(server(), member.token, 'payment_failed')).toEqual([]);
    expect(await outbox(server(), member.userId, 'payment_failed')).toEqual([]);

    // Fails again: no second notice.
    expect((await pay()).status).toBe(402);
    await deliverAndWait(server(), fake, emitted(fake, 'invoice.payment_failed', inv.id)[0]!);
    for (const u of recipients) expect(await ofKind(server(), u.token, 'payment_failed')).toHaveLength(1);

    // A working card: paid → payment_succeeded to the same two.
    fake.addCard(customer, { brand: 'visa', last4: '4242' });
    expect((await pay()).status).toBe(200);
    await deliverAndWait(server(), fake, emitted(fake, 'invoice.paid', inv.id)[0]!);
    for (const u of recipients) {
      const xs = await ofKind(server(), u.token, 'payment_succeeded');
      expect(xs.length, `payment_succeeded for ${u.email}`).toBe(1);
      expect(xs[0].payload).toMatchObject({ amountMinor: 4500, currency: 'usd', invoiceId: rec.id });
    }
    expect(await ofKind(server(), member.token, 'payment_succeeded')).toEqual([]);
  });
});
