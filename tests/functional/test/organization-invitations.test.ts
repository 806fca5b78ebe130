/**
 * Invitations: invite (hashed 7-day token, the link by email), list, resend (new link), revoke, accept — and the
 * plan's member limit (maxMembers counts members plus pending invitations). Mail goes through the dev transport,
 * which keeps the queued payload (with the link token) in email_outbox, where the tests read it.
 */
import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { dbQuery, uniqueEmail } from './auth-helpers.js';
import { newTenant, setPlan, type Tenant } from './keys-helpers.js';
import {
  O,
  ORG_ENV,
  UUID_RE,
  accept,
  call,
  createOrg,
  fillPath,
  forbidden,
  insertInvoice,
  invalid,
  invitationMail,
  invitationMails,
  invitationToken,
  invite,
  memberPlan,
  memberRoles,
  ok,
  orgAudit,
  problem,
  sha256Hex,
  team,
  tokenOf,
  waitOrgAudit,
} from './org-helpers.js';

describe('organization invitations', () => {
  const server = useServer(ORG_ENV);
  printLogsOnFailure();

  const inviteRaw = (token: string, org: string | undefined, body: unknown) => call(server(), 'post', O.invitations, { token, org, body });
  const listInv = async (token: string, org: string) => ok(await call(server(), 'get', O.invitations, { token, org }), 'get', O.invitations).invitations as any[];
  const resend = (token: string, org: string, id: string) => call(server(), 'post', fillPath(O.resend, id), { token, org });
  const revoke = (token: string, org: string, id: string) => call(server(), 'delete', fillPath(O.invitation, id), { token, org });
  const invRow = async (id: string) => (await dbQuery(server(), 'SELECT * FROM invitations WHERE id = $1', [id])).rows[0];

  /** A team organization on a plan with room for `maxMembers` (default: unlimited). */
  async function roomyTeam(tag: string, maxMembers: number | null = null): Promise<{ owner: Tenant; id: string; name: string }> {
    const owner = await newTenant(server(), `${tag}-owner`);
    const org = await createOrg(server(), owner, `${tag} team`);
    await setPlan(server(), org.id, await memberPlan(server(), maxMembers));
    return { owner, id: org.id, name: org.name };
  }

  describe('POST /api/organization/invitations', () => {
    it('201 Invitation; one "invitation" mail queued with the link token; the token is stored only as its SHA-256', async () => {
      const tm = await roomyTeam('inv-201');
      const email = uniqueEmail('inv-201-invitee');
      const before = Date.now();
      const r = await inviteRaw(tm.owner.token, tm.id, { email, role: 'BILLING' });
      const inv = ok(r, 'post', O.invitations, 201);
      expect(r.headers.get('cache-control')).toContain('no-store');
      expect(inv).toMatchObject({ email, role: 'BILLING', status: 'pending', sendCount: 1, invitedBy: tm.owner.userId });
      expect(inv.id).toMatch(UUID_RE);
      const sevenDays = 7 * 86_400_000;
      expect(Date.parse(inv.expiresAt)).toBeGreaterThanOrEqual(before + sevenDays - 5000);
      expect(Date.parse(inv.expiresAt)).toBeLessThanOrEqual(Date.now() + sevenDays + 5000);

      const mails = await invitationMails(server(), email);
      expect(mails).toHaveLength(1);
      const token: string = mails[0].payload.token;
      expect(typeof token).toBe('string');
      expect(token.length).toBeGreaterThanOrEqual(32);
      expect(mails[0].payload.organization).toBe(tm.name);
      // The answer does not carry the token.
      expect(r.text).not.toContain(token);

      const row = await invRow(inv.id);
      expect(Buffer.isBuffer(row.token_hash)).toBe(true);
      expect(row.token_hash.length).toBe(32);
      expect(row.token_hash.toString('hex')).toBe(sha256Hex(token));
      expect(row).toMatchObject({ organization_id: tm.id, email, role: 'BILLING', send_count: 1, accepted_at: null, revoked_at: null });
      // Nowhere in the invitations table nor in the audit log in clear.
      const invText = (await dbQuery(server(), 'SELECT i::text AS t FROM invitations i')).rows.map((x) => x.t).join('\n');
      expect(invText).not.toContain(token);
      const audit = await waitOrgAudit(server(), tm.id, 'organization.invitation.sent');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_type: 'invitation', target_id: inv.id, metadata: { role: 'BILLING' } });
      const allAudit = (await dbQuery(server(), 'SELECT a::text AS t FROM audit_log a')).rows.map((x) => x.t).join('\n');
      expect(allAudit).not.toContain(token);
      expect(allAudit).not.toContain(sha256Hex(token));
    });

    it('201: the role defaults to MEMBER; an ADMIN may invite MEMBER and BILLING', async () => {
      const tm = await team(server(), 'inv-default');
      const a = ok(await inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail('inv-default') }), 'post', O.invitations, 201);
      expect(a.role).toBe('MEMBER');
      const b = ok(await inviteRaw(tokenOf(tm, 'ADMIN'), tm.id, { email: uniqueEmail('inv-by-admin'), role: 'BILLING' }), 'post', O.invitations, 201);
      expect(b).toMatchObject({ role: 'BILLING', invitedBy: tm.members.ADMIN!.userId });
      const c = ok(await inviteRaw(tokenOf(tm, 'ADMIN'), tm.id, { email: uniqueEmail('inv-by-admin'), role: 'MEMBER' }), 'post', O.invitations, 201);
      expect(c.role).toBe('MEMBER');
      const d = ok(await inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail('inv-admin'), role: 'ADMIN' }), 'post', O.invitations, 201);
      expect(d.role).toBe('ADMIN');
    });

    it('403 ORGANIZATION_ROLE_FORBIDDEN: an ADMIN inviting an ADMIN; MEMBER and BILLING inviting anyone', async () => {
      const tm = await team(server(), 'inv-403');
      const email = uniqueEmail('inv-403');
      forbidden(await inviteRaw(tokenOf(tm, 'ADMIN'), tm.id, { email, role: 'ADMIN' }), 'post', O.invitations);
      for (const role of ['MEMBER', 'BILLING'] as const) {
        forbidden(await inviteRaw(tokenOf(tm, role), tm.id, { email, role: 'MEMBER' }), 'post', O.invitations);
        forbidden(await inviteRaw(tokenOf(tm, role), tm.id, { email }), 'post', O.invitations);
      }
      expect(await invitationMails(server(), email)).toHaveLength(0);
      expect(await listInv(tm.owner.token, tm.id)).toEqual([]);
    });

    it('409 PERSONAL_ORGANIZATION when inviting into a personal organization (with or without the header)', async () => {
      const t = await newTenant(server(), 'inv-personal');
      const email = uniqueEmail('inv-personal');
      problem(await inviteRaw(t.token, undefined, { email }), 'post', O.invitations, 409, 'PERSONAL_ORGANIZATION');
      problem(await inviteRaw(t.token, t.orgId, { email, role: 'ADMIN' }), 'post', O.invitations, 409, 'PERSONAL_ORGANIZATION');
      expect(await invitationMails(server(), email)).toHaveLength(0);
    });

    it('409 ALREADY_MEMBER (case-insensitive) and 409 INVITATION_PENDING (case-insensitive; resend instead)', async () => {
      const tm = await team(server(), 'inv-409', ['MEMBER']);
      problem(await inviteRaw(tm.owner.token, tm.id, { email: tm.members.MEMBER!.email }), 'post', O.invitations, 409, 'ALREADY_MEMBER');
      problem(await inviteRaw(tm.owner.token, tm.id, { email: tm.members.MEMBER!.email.toUpperCase() }), 'post', O.invitations, 409, 'ALREADY_MEMBER');
      problem(await inviteRaw(tm.owner.token, tm.id, { email: tm.owner.email }), 'post', O.invitations, 409, 'ALREADY_MEMBER');
      const email = uniqueEmail('inv-409-pending');
      await invite(server(), tm.owner.token, tm.id, email, 'MEMBER');
      problem(await inviteRaw(tm.owner.token, tm.id, { email }), 'post', O.invitations, 409, 'INVITATION_PENDING');
      problem(await inviteRaw(tm.owner.token, tm.id, { email: email.toUpperCase(), role: 'BILLING' }), 'post', O.invitations, 409, 'INVITATION_PENDING');
      expect(await invitationMails(server(), email)).toHaveLength(1);
      expect(await listInv(tm.owner.token, tm.id)).toHaveLength(1);
    });

    it('409 MEMBER_LIMIT_REACHED: Free (maxMembers 1) allows no invitation; Starter (3) counts members plus pending invitations', async () => {
      // No subscription: the Free plan.
      const owner = await newTenant(server(), 'inv-limit-free');
      const free = await createOrg(server(), owner, 'Free team');
      const e0 = uniqueEmail('inv-limit-free');
      problem(await inviteRaw(owner.token, free.id, { email: e0 }), 'post', O.invitations, 409, 'MEMBER_LIMIT_REACHED');
      expect(await invitationMails(server(), e0)).toHaveLength(0);

      // Starter: owner + 1 member + 1 pending = 3.
      const tm = await team(server(), 'inv-limit-starter', ['MEMBER'], 'starter');
      const e1 = uniqueEmail('inv-limit-1');
      const first = await invite(server(), tm.owner.token, tm.id, e1, 'MEMBER');
      const e2 = uniqueEmail('inv-limit-2');
      problem(await inviteRaw(tm.owner.token, tm.id, { email: e2 }), 'post', O.invitations, 409, 'MEMBER_LIMIT_REACHED');
      // Revoking the pending one makes room again.
      ok(await revoke(tm.owner.token, tm.id, first.id), 'delete', O.invitation, 204);
      await invite(server(), tm.owner.token, tm.id, e2, 'BILLING');
      // An expired invitation no longer takes a seat.
      await dbQuery(server(), `UPDATE invitations SET expires_at = now() - interval '1 minute', created_at = now() - interval '8 days' WHERE organization_id = $1 AND email = $2`, [tm.id, e2]);
      await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-limit-3'), 'MEMBER');
    });

    it('409 MEMBER_LIMIT_REACHED follows the plan\'s maxMembers when it changes (plans.max_members by SQL)', async () => {
      const tm = await roomyTeam('inv-limit-plan', 2);
      await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-limit-plan-1'));
      problem(await inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail('inv-limit-plan-2') }), 'post', O.invitations, 409, 'MEMBER_LIMIT_REACHED');
      await dbQuery(server(), `UPDATE plans SET max_members = 3 WHERE id = (SELECT plan_id FROM subscriptions WHERE organization_id = $1 AND status = 'active')`, [tm.id]);
      await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-limit-plan-2'));
      problem(await inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail('inv-limit-plan-3') }), 'post', O.invitations, 409, 'MEMBER_LIMIT_REACHED');
      await dbQuery(server(), `UPDATE plans SET max_members = NULL WHERE id = (SELECT plan_id FROM subscriptions WHERE organization_id = $1 AND status = 'active')`, [tm.id]);
      await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-limit-plan-3'));
    });

    it('concurrent invitations of one address: exactly one 201, the others 409 INVITATION_PENDING, one mail', async () => {
      const tm = await roomyTeam('inv-race-same');
      const email = uniqueEmail('inv-race-same');
      const answers = await Promise.all(Array.from({ length: 6 }, () => inviteRaw(tm.owner.token, tm.id, { email })));
      const created = answers.filter((r) => r.status === 201);
      expect(created, `answers: ${answers.map((r) => r.status).join(',')}`).toHaveLength(1);
      ok(created[0]!, 'post', O.invitations, 201);
      for (const r of answers.filter((x) => x.status !== 201)) problem(r, 'post', O.invitations, 409, 'INVITATION_PENDING');
      expect(await invitationMails(server(), email)).toHaveLength(1);
    });

    it('maxMembers holds under concurrent invitations of different addresses (3 seats, owner + 8 at once → 2 created)', async () => {
      const tm = await roomyTeam('inv-race-limit', 3);
      const answers = await Promise.all(
        Array.from({ length: 8 }, (_, i) => inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail(`inv-race-limit-${i}`) })),
      );
      for (const r of answers) {
        if (r.status === 201) ok(r, 'post', O.invitations, 201);
        else problem(r, 'post', O.invitations, 409, 'MEMBER_LIMIT_REACHED');
      }
      const pending = (await dbQuery(server(), 'SELECT count(*)::int AS n FROM invitations WHERE organization_id = $1 AND revoked_at IS NULL AND accepted_at IS NULL', [tm.id])).rows[0].n;
      expect(pending, `pending invitations of a 3-seat organization with its owner after 8 concurrent invites (answers ${answers.map((r) => r.status).join(',')})`).toBe(2);
    });

    it('422 VALIDATION_FAILED: bad or missing email, role OWNER or unknown, unknown field; 415; 400; 401', async () => {
      const tm = await roomyTeam('inv-422');
      for (const email of ['', 'nope', 'a@b', 'two@@example.com', 'sp ace@example.com', `${'a'.repeat(65)}@example.com`, `a@${'b'.repeat(250)}.com`, 42, null]) {
        invalid(await inviteRaw(tm.owner.token, tm.id, { email }), 'post', O.invitations, 'email');
      }
      invalid(await inviteRaw(tm.owner.token, tm.id, {}), 'post', O.invitations, 'email');
      for (const role of ['OWNER', 'owner', 'member', 'bogus', '', 7]) {
        invalid(await inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail('inv-422'), role }), 'post', O.invitations, 'role');
      }
      invalid(await inviteRaw(tm.owner.token, tm.id, { email: uniqueEmail('inv-422'), message: 'hi' }), 'post', O.invitations, 'message');
      problem(
        await call(server(), 'post', O.invitations, { token: tm.owner.token, org: tm.id, body: 'email=a@example.com', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
        'post',
        O.invitations,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      problem(await inviteRaw(tm.owner.token, tm.id, '{"email":'), 'post', O.invitations, 400, 'MALFORMED_JSON');
      problem(await call(server(), 'post', O.invitations, { org: tm.id, body: { email: uniqueEmail('x') } }), 'post', O.invitations, 401, 'UNAUTHORIZED');
      expect(await listInv(tm.owner.token, tm.id)).toEqual([]);
      expect((await dbQuery(server(), `SELECT count(*)::int AS n FROM email_outbox WHERE template = 'invitation' AND payload->>'organization' = $1`, [tm.name])).rows[0].n).toBe(0);
    });
  });

  describe('GET /api/organization/invitations', () => {
    it('200 for OWNER and ADMIN: pending ones newest first, expired ones marked expired; accepted and revoked ones gone', async () => {
      const tm = await team(server(), 'inv-list');
      const e1 = uniqueEmail('inv-list-1');
      const e2 = uniqueEmail('inv-list-2');
      const e3 = uniqueEmail('inv-list-3');
      const i1 = await invite(server(), tm.owner.token, tm.id, e1, 'MEMBER');
      const i2 = await invite(server(), tm.owner.token, tm.id, e2, 'BILLING');
      const i3 = await invite(server(), tm.owner.token, tm.id, e3, 'ADMIN');
      await dbQuery(server(), `UPDATE invitations SET created_at = now() - interval '3 minutes' WHERE id = $1`, [i1.id]);
      await dbQuery(server(), `UPDATE invitations SET created_at = now() - interval '2 minutes' WHERE id = $1`, [i2.id]);
      await dbQuery(server(), `UPDATE invitations SET created_at = now() - interval '8 days', expires_at = now() - interval '1 day' WHERE id = $1`, [i1.id]);
      for (const role of ['OWNER', 'ADMIN'] as const) {
        const r = await call(server(), 'get', O.invitations, { token: tokenOf(tm, role), org: tm.id });
        expect(r.headers.get('cache-control')).toContain('no-store');
        const list = ok(r, 'get', O.invitations).invitations as any[];
        expect(list.map((i) => [i.id, i.email, i.role, i.status])).toEqual([
          [i3.id, e3, 'ADMIN', 'pending'],
          [i2.id, e2, 'BILLING', 'pending'],
          [i1.id, e1, 'MEMBER', 'expired'],
        ]);
        expect(r.text).not.toMatch(/token/i);
      }
      ok(await revoke(tm.owner.token, tm.id, i2.id), 'delete', O.invitation, 204);
      expect((await listInv(tm.owner.token, tm.id)).map((i) => i.id)).toEqual([i3.id, i1.id]);
      // Inviting the expired address again replaces the expired invitation.
      const again = await invite(server(), tm.owner.token, tm.id, e1, 'BILLING');
      expect((await listInv(tm.owner.token, tm.id)).map((i) => [i.id, i.status])).toEqual([
        [again.id, 'pending'],
        [i3.id, 'pending'],
      ]);
    });

    it('403 for MEMBER and BILLING; 404 for a stranger', async () => {
      const tm = await team(server(), 'inv-list-403');
      await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-list-403'));
      for (const role of ['MEMBER', 'BILLING'] as const) {
        const r = await call(server(), 'get', O.invitations, { token: tokenOf(tm, role), org: tm.id });
        forbidden(r, 'get', O.invitations);
      }
      const stranger = await newTenant(server(), 'inv-list-stranger');
      problem(await call(server(), 'get', O.invitations, { token: stranger.token, org: tm.id }), 'get', O.invitations, 404, 'ORGANIZATION_NOT_FOUND');
    });
  });

  describe('POST /api/organization/invitations/{id}/resend', () => {
    it('204: a second mail with a new token; the old link stops working, the new one works; send_count 2; expiry renewed', async () => {
      const tm = await roomyTeam('inv-resend');
      const invitee = await newTenant(server(), 'inv-resend-invitee');
      const inv = await invite(server(), tm.owner.token, tm.id, invitee.email, 'MEMBER');
      const oldToken = await invitationToken(server(), invitee.email);
      // Nearly expired (still pending): the resend gives 7 more days.
      await dbQuery(server(), `UPDATE invitations SET created_at = now() - interval '6 days', expires_at = now() + interval '1 hour' WHERE id = $1`, [inv.id]);
      const before = Date.now();
      const r = await resend(tm.owner.token, tm.id, inv.id);
      ok(r, 'post', O.resend, 204);

      const mails = await invitationMails(server(), invitee.email);
      expect(mails).toHaveLength(2);
      const newToken: string = mails[1].payload.token;
      expect(typeof newToken).toBe('string');
      expect(newToken).not.toBe(oldToken);
      const row = await invRow(inv.id);
      expect(row.send_count).toBe(2);
      expect(row.token_hash.toString('hex')).toBe(sha256Hex(newToken));
      expect(row.expires_at.getTime()).toBeGreaterThanOrEqual(before + 7 * 86_400_000 - 5000);
      const listed = (await listInv(tm.owner.token, tm.id)).find((i) => i.id === inv.id);
      expect(listed).toMatchObject({ sendCount: 2, status: 'pending' });
      const audit = await waitOrgAudit(server(), tm.id, 'organization.invitation.resent');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_type: 'invitation', target_id: inv.id });
      expect(JSON.stringify(await orgAudit(server(), tm.id, 'organization.invitation.resent'))).not.toContain(newToken);

      problem(await accept(server(), invitee.token, oldToken), 'post', O.accept, 404, 'INVITATION_NOT_FOUND');
      const joined = ok(await accept(server(), invitee.token, newToken), 'post', O.accept, 200);
      expect(joined).toMatchObject({ id: tm.id, role: 'MEMBER' });
    });

    it('204: an expired invitation can be resent and becomes pending again', async () => {
      const tm = await roomyTeam('inv-resend-expired');
      const email = uniqueEmail('inv-resend-expired');
      const inv = await invite(server(), tm.owner.token, tm.id, email);
      await dbQuery(server(), `UPDATE invitations SET created_at = now() - interval '9 days', expires_at = now() - interval '2 days' WHERE id = $1`, [inv.id]);
      expect((await listInv(tm.owner.token, tm.id))[0].status).toBe('expired');
      ok(await resend(tm.owner.token, tm.id, inv.id), 'post', O.resend, 204);
      expect((await listInv(tm.owner.token, tm.id))[0]).toMatchObject({ id: inv.id, status: 'pending', sendCount: 2 });
    });

    it('403 for an ADMIN resending an ADMIN invitation, and for MEMBER/BILLING; 404 for unknown, malformed, revoked or another organization\'s ids', async () => {
      const tm = await team(server(), 'inv-resend-403');
      const adminInv = await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-resend-admin'), 'ADMIN');
      const memberInv = await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-resend-member'), 'MEMBER');
      forbidden(await resend(tokenOf(tm, 'ADMIN'), tm.id, adminInv.id), 'post', O.resend);
      ok(await resend(tokenOf(tm, 'ADMIN'), tm.id, memberInv.id), 'post', O.resend, 204);
      for (const role of ['MEMBER', 'BILLING'] as const) forbidden(await resend(tokenOf(tm, role), tm.id, memberInv.id), 'post', O.resend);

      const other = await roomyTeam('inv-resend-other');
      const otherInv = await invite(server(), other.owner.token, other.id, uniqueEmail('inv-resend-other'));
      ok(await revoke(tm.owner.token, tm.id, memberInv.id), 'delete', O.invitation, 204);
      for (const id of [crypto.randomUUID(), 'not-a-uuid', memberInv.id, otherInv.id]) {
        problem(await resend(tm.owner.token, tm.id, id), 'post', O.resend, 404, 'INVITATION_NOT_FOUND');
      }
      expect((await invRow(otherInv.id)).send_count).toBe(1);
      expect((await invRow(adminInv.id)).send_count).toBe(1);
    });
  });

  describe('DELETE /api/organization/invitations/{id}', () => {
    it('204: the link then answers 404 INVITATION_NOT_FOUND; revoking again is 404; audited', async () => {
      const tm = await roomyTeam('inv-revoke');
      const invitee = await newTenant(server(), 'inv-revoke-invitee');
      const inv = await invite(server(), tm.owner.token, tm.id, invitee.email, 'BILLING');
      const token = await invitationToken(server(), invitee.email);
      const r = await revoke(tm.owner.token, tm.id, inv.id);
      ok(r, 'delete', O.invitation, 204);
      problem(await accept(server(), invitee.token, token), 'post', O.accept, 404, 'INVITATION_NOT_FOUND');
      problem(await revoke(tm.owner.token, tm.id, inv.id), 'delete', O.invitation, 404, 'INVITATION_NOT_FOUND');
      expect(await listInv(tm.owner.token, tm.id)).toEqual([]);
      expect((await invRow(inv.id)).revoked_at).not.toBeNull();
      const audit = await waitOrgAudit(server(), tm.id, 'organization.invitation.revoked');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_id: inv.id, request_id: r.headers.get('x-request-id') });
      // The invitee is not a member.
      expect(Object.keys(await memberRoles(server(), tm.id))).toEqual([tm.owner.userId]);
    });

    it('ADMIN revokes MEMBER/BILLING invitations (204) but not ADMIN ones (403); MEMBER and BILLING cannot (403); 404 for others', async () => {
      const tm = await team(server(), 'inv-revoke-403');
      const adminInv = await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-revoke-admin'), 'ADMIN');
      const billingInv = await invite(server(), tm.owner.token, tm.id, uniqueEmail('inv-revoke-billing'), 'BILLING');
      for (const role of ['MEMBER', 'BILLING'] as const) forbidden(await revoke(tokenOf(tm, role), tm.id, billingInv.id), 'delete', O.invitation);
      forbidden(await revoke(tokenOf(tm, 'ADMIN'), tm.id, adminInv.id), 'delete', O.invitation);
      ok(await revoke(tokenOf(tm, 'ADMIN'), tm.id, billingInv.id), 'delete', O.invitation, 204);
      const other = await roomyTeam('inv-revoke-other');
      const otherInv = await invite(server(), other.owner.token, other.id, uniqueEmail('inv-revoke-other'));
      for (const id of [crypto.randomUUID(), 'nope', otherInv.id]) {
        problem(await revoke(tm.owner.token, tm.id, id), 'delete', O.invitation, 404, 'INVITATION_NOT_FOUND');
      }
      expect((await invRow(otherInv.id)).revoked_at).toBeNull();
      expect((await listInv(tm.owner.token, tm.id)).map((i) => i.id)).toEqual([adminInv.id]);
    });
  });

  describe('POST /api/invitations/accept', () => {
    it('200 Organization with the invited role; the new member lists it and acts on it with the header as that role', async () => {
      const tm = await roomyTeam('inv-accept');
      const cases = [
        { role: 'MEMBER', user: await newTenant(server(), 'inv-accept-member') },
        { role: 'BILLING', user: await newTenant(server(), 'inv-accept-billing') },
        { role: 'ADMIN', user: await newTenant(server(), 'inv-accept-admin') },
      ] as const;
      const invoice = await insertInvoice(server(), tm.id);
      let count = 1;
      for (const { role, user } of cases) {
        const inv = await invite(server(), tm.owner.token, tm.id, user.email, role);
        const token = await invitationToken(server(), user.email);
        const r = await accept(server(), user.token, token);
        const o = ok(r, 'post', O.accept, 200);
        count += 1;
        expect(r.headers.get('cache-control')).toContain('no-store');
        expect(o).toMatchObject({ id: tm.id, name: tm.name, personal: false, role, memberCount: count, status: 'active' });
        const row = await invRow(inv.id);
        expect(row.accepted_at).not.toBeNull();
        expect(row.accepted_by).toBe(user.userId);
        expect((await memberRoles(server(), tm.id))[user.userId]).toBe(role);
        const invitedBy = (await dbQuery(server(), 'SELECT invited_by::text AS b FROM organization_members WHERE organization_id = $1 AND user_id = $2', [tm.id, user.userId])).rows[0].b;
        expect(invitedBy).toBe(tm.owner.userId);

        const mine = ok(await call(server(), 'get', O.list, { token: user.token }), 'get', O.list).organizations as any[];
        expect(mine.map((x) => [x.id, x.role])).toEqual([[user.orgId, 'OWNER'], [tm.id, role]]);
        expect(ok(await call(server(), 'get', O.org, { token: user.token, org: tm.id }), 'get', O.org).role).toBe(role);
        ok(await call(server(), 'get', O.members, { token: user.token, org: tm.id }), 'get', O.members);

        const keys = await call(server(), 'post', '/api/user/api-keys', { token: user.token, org: tm.id, body: { name: `by ${role}` } });
        const inv2 = await call(server(), 'get', fillPath('/api/user/billing/invoices/{id}', invoice), { token: user.token, org: tm.id });
        const rename = await call(server(), 'patch', O.org, { token: user.token, org: tm.id, body: { name: tm.name } });
        if (role === 'BILLING') {
          forbidden(keys, 'post', '/api/user/api-keys');
          ok(inv2, 'get', '/api/user/billing/invoices/{id}');
          forbidden(rename, 'patch', O.org);
        } else if (role === 'MEMBER') {
          ok(keys, 'post', '/api/user/api-keys', 201);
          forbidden(inv2, 'get', '/api/user/billing/invoices/{id}');
          forbidden(rename, 'patch', O.org);
        } else {
          ok(keys, 'post', '/api/user/api-keys', 201);
          ok(inv2, 'get', '/api/user/billing/invoices/{id}');
          ok(rename, 'patch', O.org);
        }
      }
      const audit = await waitOrgAudit(server(), tm.id, 'organization.invitation.accepted', 3);
      expect(audit.map((a) => a.actor_user_id)).toEqual(cases.map((c) => c.user.userId));
      // Accepted invitations are no longer listed.
      expect(await listInv(tm.owner.token, tm.id)).toEqual([]);
    });

    it('200: the address matches case-insensitively; the token may be used by someone who registers after the invitation', async () => {
      const tm = await roomyTeam('inv-accept-case');
      const email = uniqueEmail('inv-accept-later');
      await invite(server(), tm.owner.token, tm.id, email.toUpperCase(), 'MEMBER');
      const token = await invitationToken(server(), email);
      const later = await call(server(), 'post', '/api/auth/register', { body: { email, password: 'Tg-functional-7f3#kQ9!' } });
      ok(later, 'post', '/api/auth/register', 201);
      const o = ok(await accept(server(), later.json.accessToken, token), 'post', O.accept, 200);
      expect(o).toMatchObject({ id: tm.id, role: 'MEMBER', memberCount: 2 });
    });

    it('403 INVITATION_EMAIL_MISMATCH when signed in with another address (the invitation stays usable)', async () => {
      const tm = await roomyTeam('inv-mismatch');
      const invitee = await newTenant(server(), 'inv-mismatch-invitee');
      const other = await newTenant(server(), 'inv-mismatch-other');
      await invite(server(), tm.owner.token, tm.id, invitee.email);
      const token = await invitationToken(server(), invitee.email);
      problem(await accept(server(), other.token, token), 'post', O.accept, 403, 'INVITATION_EMAIL_MISMATCH');
      problem(await accept(server(), tm.owner.token, token), 'post', O.accept, 403, 'INVITATION_EMAIL_MISMATCH');
      expect(Object.keys(await memberRoles(server(), tm.id))).toEqual([tm.owner.userId]);
      ok(await accept(server(), invitee.token, token), 'post', O.accept, 200);
    });

    it('409 INVITATION_EXPIRED once expires_at is in the past', async () => {
      const tm = await roomyTeam('inv-expired');
      const invitee = await newTenant(server(), 'inv-expired-invitee');
      const inv = await invite(server(), tm.owner.token, tm.id, invitee.email);
      const token = await invitationToken(server(), invitee.email);
      await dbQuery(server(), `UPDATE invitations SET created_at = now() - interval '8 days', expires_at = now() - interval '1 second' WHERE id = $1`, [inv.id]);
      problem(await accept(server(), invitee.token, token), 'post', O.accept, 409, 'INVITATION_EXPIRED');
      expect((await invRow(inv.id)).accepted_at).toBeNull();
      expect(Object.keys(await memberRoles(server(), tm.id))).toEqual([tm.owner.userId]);
    });

    it('404 INVITATION_NOT_FOUND for a used token and for an unknown one; used twice does not duplicate anything', async () => {
      const tm = await roomyTeam('inv-used');
      const invitee = await newTenant(server(), 'inv-used-invitee');
      await invite(server(), tm.owner.token, tm.id, invitee.email);
      const token = await invitationToken(server(), invitee.email);
      ok(await accept(server(), invitee.token, token), 'post', O.accept, 200);
      const a = await accept(server(), invitee.token, token);
      problem(a, 'post', O.accept, 404, 'INVITATION_NOT_FOUND');
      const b = await accept(server(), invitee.token, crypto.randomBytes(32).toString('base64url'));
      problem(b, 'post', O.accept, 404, 'INVITATION_NOT_FOUND');
      expect(a.json.detail).toBe(b.json.detail);
      expect(await waitOrgAudit(server(), tm.id, 'organization.invitation.accepted')).toHaveLength(1);
      expect(Object.keys(await memberRoles(server(), tm.id))).toHaveLength(2);
    });

    it('409 MEMBER_LIMIT_REACHED when the organization filled up after the invitation was sent', async () => {
      const tm = await roomyTeam('inv-accept-full', 3);
      const u1 = await newTenant(server(), 'inv-accept-full-1');
      const u2 = await newTenant(server(), 'inv-accept-full-2');
      await invite(server(), tm.owner.token, tm.id, u1.email);
      await invite(server(), tm.owner.token, tm.id, u2.email);
      const t1 = await invitationToken(server(), u1.email);
      const t2 = await invitationToken(server(), u2.email);
      // The plan shrinks to two members; the first acceptance fills it.
      await dbQuery(server(), `UPDATE plans SET max_members = 2 WHERE id = (SELECT plan_id FROM subscriptions WHERE organization_id = $1 AND status = 'active')`, [tm.id]);
      ok(await accept(server(), u1.token, t1), 'post', O.accept, 200);
      problem(await accept(server(), u2.token, t2), 'post', O.accept, 409, 'MEMBER_LIMIT_REACHED');
      expect(Object.keys(await memberRoles(server(), tm.id)).sort()).toEqual([tm.owner.userId, u1.userId].sort());
      // The invitation is still pending: once there is room it can be accepted.
      await dbQuery(server(), `UPDATE plans SET max_members = 3 WHERE id = (SELECT plan_id FROM subscriptions WHERE organization_id = $1 AND status = 'active')`, [tm.id]);
      ok(await accept(server(), u2.token, t2), 'post', O.accept, 200);
    });

    it('409 MEMBER_LIMIT_REACHED after a downgrade to Free (maxMembers 1)', async () => {
      const tm = await team(server(), 'inv-accept-free', [], 'starter');
      const u = await newTenant(server(), 'inv-accept-free-u');
      await invite(server(), tm.owner.token, tm.id, u.email, 'BILLING');
      const token = await invitationToken(server(), u.email);
      await setPlan(server(), tm.id, 'free');
      problem(await accept(server(), u.token, token), 'post', O.accept, 409, 'MEMBER_LIMIT_REACHED');
    });

    it('422 for a missing, short or long token; 415; 400; 401 without a token', async () => {
      const u = await newTenant(server(), 'inv-accept-422');
      for (const body of [{}, { token: '' }, { token: 'short' }, { token: 'x'.repeat(201) }, { token: 123 }, { token: null }]) {
        invalid(await call(server(), 'post', O.accept, { token: u.token, body }), 'post', O.accept, 'token');
      }
      invalid(await call(server(), 'post', O.accept, { token: u.token, body: { token: 'a'.repeat(43), org: 'x' } }), 'post', O.accept, 'org');
      problem(
        await call(server(), 'post', O.accept, { token: u.token, body: 'token=abc', headers: { 'content-type': 'text/plain' } }),
        'post',
        O.accept,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      problem(await call(server(), 'post', O.accept, { token: u.token, body: '{"token"' }), 'post', O.accept, 400, 'MALFORMED_JSON');
      problem(await call(server(), 'post', O.accept, { body: { token: 'a'.repeat(43) } }), 'post', O.accept, 401, 'UNAUTHORIZED');
    });

    it('the X-Organization-Id the web app sends with every call does not get in the way (docs: invitations addressed to the user ignore it)', async () => {
      const tm = await roomyTeam('inv-accept-header');
      const invitee = await newTenant(server(), 'inv-accept-header-u');
      await invite(server(), tm.owner.token, tm.id, invitee.email);
      const token = await invitationToken(server(), invitee.email);
      // The invitee is not (yet) a member of the organization the link is for: the header names it anyway.
      const o = ok(await accept(server(), invitee.token, token, { 'x-organization-id': tm.id }), 'post', O.accept, 200);
      expect(o).toMatchObject({ id: tm.id, role: 'MEMBER' });
    });
  });

  it('the queued invitation mail row: template, address, organization, role, token and a per-send idempotency key', async () => {
    const tm = await roomyTeam('inv-mail');
    const email = uniqueEmail('inv-mail');
    await invite(server(), tm.owner.token, tm.id, email, 'BILLING');
    const row = await invitationMail(server(), email);
    expect(row.template).toBe('invitation');
    expect(row.to_email).toBe(email);
    expect(row.payload).toMatchObject({ organization: tm.name, role: 'BILLING' });
    expect(typeof row.payload.token).toBe('string');
    expect(row.idempotency_key).toMatch(/^invitation:[0-9a-f-]{36}:1$/);
  });
});
