/**
 * Members of the active organization: list, role changes, removal, leave, ownership transfer
 * (docs/permissions.md; an ADMIN manages MEMBER and BILLING only).
 */
import { describe, it, expect } from 'vitest';
import crypto from 'node:crypto';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { dbQuery } from './auth-helpers.js';
import { newTenant } from './keys-helpers.js';
import {
  O,
  ORG_ENV,
  ROLES,
  addMember,
  call,
  fillPath,
  forbidden,
  invalid,
  memberRoles,
  ok,
  problem,
  team,
  tokenOf,
  userOf,
  waitOrgAudit,
  withoutRequestId,
  type Role,
} from './org-helpers.js';

describe('organization members', () => {
  const server = useServer(ORG_ENV);
  printLogsOnFailure();

  const members = async (token: string, org?: string) => ok(await call(server(), 'get', O.members, { token, org }), 'get', O.members).members as any[];
  const setRole = (token: string, org: string, userId: string, body: unknown) =>
    call(server(), 'patch', fillPath(O.member, userId), { token, org, body });
  const remove = (token: string, org: string | undefined, userId: string) => call(server(), 'delete', fillPath(O.member, userId), { token, org });
  const leave = (token: string, org?: string) => call(server(), 'post', O.leave, { token, org });
  const transfer = (token: string, org: string | undefined, body: unknown) => call(server(), 'post', O.transfer, { token, org, body });
  const orgAuditActions = async (org: string) =>
    (await dbQuery(server(), 'SELECT action FROM audit_log WHERE organization_id = $1 ORDER BY id', [org])).rows.map((r) => r.action as string);

  describe('GET /api/organization/members', () => {
    it('200 for every role: the owner first, then by email; name, role and joinedAt of each', async () => {
      const tm = await team(server(), 'mem-list');
      const expected = [
        { userId: tm.owner.userId, email: tm.owner.email, role: 'OWNER' },
        ...(['ADMIN', 'MEMBER', 'BILLING'] as const)
          .map((r) => ({ userId: userOf(tm, r).userId, email: userOf(tm, r).email, role: r }))
          .sort((a, b) => a.email.toLowerCase().localeCompare(b.email.toLowerCase())),
      ];
      for (const role of ROLES) {
        const r = await call(server(), 'get', O.members, { token: tokenOf(tm, role), org: tm.id });
        expect(r.headers.get('cache-control')).toContain('no-store');
        const list = ok(r, 'get', O.members).members as any[];
        expect(list.map((m) => ({ userId: m.userId, email: m.email, role: m.role })), `as ${role}`).toEqual(expected);
        for (const m of list) {
          expect(m.name).toBeNull();
          expect(Math.abs(Date.parse(m.joinedAt) - Date.now())).toBeLessThan(5 * 60_000);
        }
      }
      // memberCount of the organization agrees.
      expect(ok(await call(server(), 'get', O.org, { token: tm.owner.token, org: tm.id }), 'get', O.org).memberCount).toBe(4);
    });

    it('200 without the header: the personal organization, its one member', async () => {
      const t = await newTenant(server(), 'mem-personal');
      expect((await members(t.token)).map((m) => [m.userId, m.role])).toEqual([[t.userId, 'OWNER']]);
    });

    it('404 ORGANIZATION_NOT_FOUND for a stranger, 400 for a malformed header, 401 without a token', async () => {
      const tm = await team(server(), 'mem-list-404', ['MEMBER']);
      const stranger = await newTenant(server(), 'mem-list-stranger');
      const a = await call(server(), 'get', O.members, { token: stranger.token, org: tm.id });
      problem(a, 'get', O.members, 404, 'ORGANIZATION_NOT_FOUND');
      const b = await call(server(), 'get', O.members, { token: stranger.token, org: crypto.randomUUID() });
      problem(b, 'get', O.members, 404, 'ORGANIZATION_NOT_FOUND');
      expect(withoutRequestId(a)).toEqual(withoutRequestId(b));
      expect(a.text).not.toContain(tm.owner.email);
      problem(await call(server(), 'get', O.members, { token: stranger.token, org: 'nope' }), 'get', O.members, 400, 'INVALID_ORGANIZATION_ID');
      problem(await call(server(), 'get', O.members, { org: tm.id }), 'get', O.members, 401, 'UNAUTHORIZED');
    });
  });

  describe('PATCH /api/organization/members/{userId}', () => {
    it('200 OWNER: any non-owner role to any of ADMIN, MEMBER, BILLING; the answer is the member list; audited', async () => {
      const tm = await team(server(), 'mem-role-owner');
      const target = tm.members.MEMBER!;
      for (const role of ['ADMIN', 'BILLING', 'MEMBER', 'BILLING', 'ADMIN', 'MEMBER'] as const) {
        const r = await setRole(tm.owner.token, tm.id, target.userId, { role });
        expect(r.headers.get('cache-control')).toContain('no-store');
        const list = ok(r, 'patch', O.member).members as any[];
        expect(list.find((m) => m.userId === target.userId)?.role).toBe(role);
        expect(list).toHaveLength(4);
        expect((await memberRoles(server(), tm.id))[target.userId]).toBe(role);
      }
      // The new role applies to the member's very next request.
      ok(await setRole(tm.owner.token, tm.id, target.userId, { role: 'BILLING' }), 'patch', O.member);
      forbidden(await call(server(), 'get', '/api/user/api-keys', { token: target.token, org: tm.id }), 'get', '/api/user/api-keys');
      ok(await setRole(tm.owner.token, tm.id, target.userId, { role: 'MEMBER' }), 'patch', O.member);
      ok(await call(server(), 'get', '/api/user/api-keys', { token: target.token, org: tm.id }), 'get', '/api/user/api-keys');

      const audit = await waitOrgAudit(server(), tm.id, 'organization.member.role_changed', 8);
      expect(audit).toHaveLength(8);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_type: 'user', target_id: target.userId, metadata: { role: 'ADMIN' } });
      // The ADMIN's and BILLING's roles were not touched.
      const roles = await memberRoles(server(), tm.id);
      expect(roles[tm.members.ADMIN!.userId]).toBe('ADMIN');
      expect(roles[tm.members.BILLING!.userId]).toBe('BILLING');
      expect(roles[tm.owner.userId]).toBe('OWNER');
    });

    it('ADMIN: MEMBER ↔ BILLING only; 403 for an ADMIN target, for granting ADMIN and for the OWNER', async () => {
      const tm = await team(server(), 'mem-role-admin', ['ADMIN', 'MEMBER', 'BILLING']);
      const admin2 = await newTenant(server(), 'mem-role-admin2');
      await addMember(server(), tm.id, admin2, 'ADMIN');
      const a = tokenOf(tm, 'ADMIN');
      const m = tm.members.MEMBER!.userId;
      const b = tm.members.BILLING!.userId;

      expect(ok(await setRole(a, tm.id, m, { role: 'BILLING' }), 'patch', O.member).members.find((x: any) => x.userId === m).role).toBe('BILLING');
      expect(ok(await setRole(a, tm.id, m, { role: 'MEMBER' }), 'patch', O.member).members.find((x: any) => x.userId === m).role).toBe('MEMBER');
      expect(ok(await setRole(a, tm.id, b, { role: 'MEMBER' }), 'patch', O.member).members.find((x: any) => x.userId === b).role).toBe('MEMBER');
      ok(await setRole(a, tm.id, b, { role: 'BILLING' }), 'patch', O.member);

      forbidden(await setRole(a, tm.id, m, { role: 'ADMIN' }), 'patch', O.member);
      forbidden(await setRole(a, tm.id, b, { role: 'ADMIN' }), 'patch', O.member);
      forbidden(await setRole(a, tm.id, admin2.userId, { role: 'MEMBER' }), 'patch', O.member);
      forbidden(await setRole(a, tm.id, admin2.userId, { role: 'BILLING' }), 'patch', O.member);
      forbidden(await setRole(a, tm.id, tm.members.ADMIN!.userId, { role: 'MEMBER' }), 'patch', O.member);
      forbidden(await setRole(a, tm.id, tm.owner.userId, { role: 'MEMBER' }), 'patch', O.member);
      forbidden(await setRole(a, tm.id, tm.owner.userId, { role: 'ADMIN' }), 'patch', O.member);

      expect(await memberRoles(server(), tm.id)).toEqual({
        [tm.owner.userId]: 'OWNER',
        [tm.members.ADMIN!.userId]: 'ADMIN',
        [admin2.userId]: 'ADMIN',
        [m]: 'MEMBER',
        [b]: 'BILLING',
      });
    });

    it('403 for MEMBER and BILLING (whatever the target); the OWNER cannot change its own role (transfer instead)', async () => {
      const tm = await team(server(), 'mem-role-403');
      for (const role of ['MEMBER', 'BILLING'] as const) {
        for (const target of ROLES) {
          if (target === role) continue;
          forbidden(await setRole(tokenOf(tm, role), tm.id, userOf(tm, target).userId, { role: 'MEMBER' }), 'patch', O.member);
        }
        forbidden(await setRole(tokenOf(tm, role), tm.id, userOf(tm, role).userId, { role: 'ADMIN' }), 'patch', O.member);
      }
      forbidden(await setRole(tm.owner.token, tm.id, tm.owner.userId, { role: 'ADMIN' }), 'patch', O.member);
      expect(Object.values(await memberRoles(server(), tm.id)).sort()).toEqual(['ADMIN', 'BILLING', 'MEMBER', 'OWNER']);
    });

    it('404 MEMBER_NOT_FOUND: random uuid, a non-uuid, a user who is not a member, a member of another organization', async () => {
      const tm = await team(server(), 'mem-role-404', ['MEMBER']);
      const outsider = await newTenant(server(), 'mem-role-outsider');
      const other = await team(server(), 'mem-role-other', ['MEMBER']);
      for (const id of [crypto.randomUUID(), 'not-a-uuid', outsider.userId, other.members.MEMBER!.userId, other.owner.userId]) {
        problem(await setRole(tm.owner.token, tm.id, id, { role: 'BILLING' }), 'patch', O.member, 404, 'MEMBER_NOT_FOUND');
      }
      expect((await memberRoles(server(), other.id))[other.members.MEMBER!.userId]).toBe('MEMBER');
    });

    it('422 VALIDATION_FAILED: role OWNER, unknown or lower-case role, missing role, unknown field; 415; 400', async () => {
      const tm = await team(server(), 'mem-role-422', ['MEMBER']);
      const m = tm.members.MEMBER!.userId;
      for (const body of [{ role: 'OWNER' }, { role: 'bogus' }, { role: 'admin' }, { role: '' }, { role: 3 }, {}, { role: null }]) {
        invalid(await setRole(tm.owner.token, tm.id, m, body), 'patch', O.member, 'role');
      }
      invalid(await setRole(tm.owner.token, tm.id, m, { role: 'ADMIN', extra: 1 }), 'patch', O.member, 'extra');
      problem(
        await call(server(), 'patch', fillPath(O.member, m), { token: tm.owner.token, org: tm.id, body: 'role=ADMIN', headers: { 'content-type': 'text/plain' } }),
        'patch',
        O.member,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      problem(await setRole(tm.owner.token, tm.id, m, '{"role":'), 'patch', O.member, 400, 'MALFORMED_JSON');
      expect((await memberRoles(server(), tm.id))[m]).toBe('MEMBER');
    });
  });

  describe('DELETE /api/organization/members/{userId}', () => {
    it('204 OWNER removes a MEMBER: the member\'s very next request with the header (same access token) is 404 ORGANIZATION_NOT_FOUND', async () => {
      const tm = await team(server(), 'mem-rm');
      const gone = tm.members.MEMBER!;
      // The member works in the organization…
      ok(await call(server(), 'get', O.org, { token: gone.token, org: tm.id }), 'get', O.org);
      ok(await call(server(), 'get', '/api/user/api-keys', { token: gone.token, org: tm.id }), 'get', '/api/user/api-keys');
      const r = await remove(tm.owner.token, tm.id, gone.userId);
      ok(r, 'delete', O.member, 204);
      // …and right after the removal, with the very same token, it does not.
      problem(await call(server(), 'get', O.org, { token: gone.token, org: tm.id }), 'get', O.org, 404, 'ORGANIZATION_NOT_FOUND');
      problem(await call(server(), 'get', '/api/user/api-keys', { token: gone.token, org: tm.id }), 'get', '/api/user/api-keys', 404, 'ORGANIZATION_NOT_FOUND');
      problem(
        await call(server(), 'post', '/api/user/api-keys', { token: gone.token, org: tm.id, body: { name: 'after removal' } }),
        'post',
        '/api/user/api-keys',
        404,
        'ORGANIZATION_NOT_FOUND',
      );
      problem(await call(server(), 'get', O.members, { token: gone.token, org: tm.id }), 'get', O.members, 404, 'ORGANIZATION_NOT_FOUND');
      // Their own personal organization still works, and the team is no longer in their list.
      ok(await call(server(), 'get', O.org, { token: gone.token }), 'get', O.org);
      const mine = ok(await call(server(), 'get', O.list, { token: gone.token }), 'get', O.list).organizations;
      expect(mine.map((o: any) => o.id)).toEqual([gone.orgId]);
      const list = await members(tm.owner.token, tm.id);
      expect(list.map((x) => x.userId)).not.toContain(gone.userId);
      expect(list).toHaveLength(3);
      const audit = await waitOrgAudit(server(), tm.id, 'organization.member.removed');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_type: 'user', target_id: gone.userId, request_id: r.headers.get('x-request-id') });
      // Removing again: no such member.
      problem(await remove(tm.owner.token, tm.id, gone.userId), 'delete', O.member, 404, 'MEMBER_NOT_FOUND');
    });

    it('204 OWNER removes an ADMIN and a BILLING member', async () => {
      const tm = await team(server(), 'mem-rm-owner');
      ok(await remove(tm.owner.token, tm.id, tm.members.ADMIN!.userId), 'delete', O.member, 204);
      ok(await remove(tm.owner.token, tm.id, tm.members.BILLING!.userId), 'delete', O.member, 204);
      problem(await call(server(), 'get', O.org, { token: tm.members.ADMIN!.token, org: tm.id }), 'get', O.org, 404, 'ORGANIZATION_NOT_FOUND');
      expect(Object.values(await memberRoles(server(), tm.id)).sort()).toEqual(['MEMBER', 'OWNER']);
    });

    it('ADMIN removes MEMBER and BILLING (204) but not another ADMIN or the OWNER (403)', async () => {
      const tm = await team(server(), 'mem-rm-admin');
      const admin2 = await newTenant(server(), 'mem-rm-admin2');
      await addMember(server(), tm.id, admin2, 'ADMIN');
      const a = tokenOf(tm, 'ADMIN');
      forbidden(await remove(a, tm.id, admin2.userId), 'delete', O.member);
      forbidden(await remove(a, tm.id, tm.owner.userId), 'delete', O.member);
      ok(await remove(a, tm.id, tm.members.MEMBER!.userId), 'delete', O.member, 204);
      ok(await remove(a, tm.id, tm.members.BILLING!.userId), 'delete', O.member, 204);
      expect(await memberRoles(server(), tm.id)).toEqual({ [tm.owner.userId]: 'OWNER', [tm.members.ADMIN!.userId]: 'ADMIN', [admin2.userId]: 'ADMIN' });
    });

    it('403 for MEMBER and BILLING', async () => {
      const tm = await team(server(), 'mem-rm-403');
      for (const role of ['MEMBER', 'BILLING'] as const) {
        for (const target of ROLES) {
          if (target === role) continue;
          forbidden(await remove(tokenOf(tm, role), tm.id, userOf(tm, target).userId), 'delete', O.member);
        }
      }
      expect(Object.keys(await memberRoles(server(), tm.id))).toHaveLength(4);
    });

    it('409 USE_LEAVE for oneself (OWNER and ADMIN); 404 MEMBER_NOT_FOUND for strangers and bad ids', async () => {
      const tm = await team(server(), 'mem-rm-self', ['ADMIN']);
      problem(await remove(tm.owner.token, tm.id, tm.owner.userId), 'delete', O.member, 409, 'USE_LEAVE');
      problem(await remove(tokenOf(tm, 'ADMIN'), tm.id, tm.members.ADMIN!.userId), 'delete', O.member, 409, 'USE_LEAVE');
      // In the personal organization too.
      problem(await remove(tm.owner.token, undefined, tm.owner.userId), 'delete', O.member, 409, 'USE_LEAVE');
      const outsider = await newTenant(server(), 'mem-rm-outsider');
      for (const id of [crypto.randomUUID(), 'not-a-uuid', outsider.userId]) {
        problem(await remove(tm.owner.token, tm.id, id), 'delete', O.member, 404, 'MEMBER_NOT_FOUND');
      }
      expect(Object.keys(await memberRoles(server(), tm.id))).toHaveLength(2);
    });
    it('409 USE_LEAVE for oneself written in upper case too (ids are case-insensitive UUIDs)', async () => {
      const tm = await team(server(), 'mem-rm-self-uc', ['ADMIN']);
      problem(await remove(tm.owner.token, tm.id, tm.owner.userId.toUpperCase()), 'delete', O.member, 409, 'USE_LEAVE');
      problem(await remove(tokenOf(tm, 'ADMIN'), tm.id, tm.members.ADMIN!.userId.toUpperCase()), 'delete', O.member, 409, 'USE_LEAVE');
      // Other members in upper case are found as usual.
      ok(await remove(tm.owner.token, tm.id, tm.members.ADMIN!.userId.toUpperCase()), 'delete', O.member, 204);
    });
  });

  describe('POST /api/organization/leave', () => {
    it('204 for ADMIN, MEMBER and BILLING: access ends at once; audited organization.member.left', async () => {
      const tm = await team(server(), 'mem-leave');
      for (const role of ['ADMIN', 'MEMBER', 'BILLING'] as const) {
        const u = tm.members[role]!;
        const r = await leave(u.token, tm.id);
        ok(r, 'post', O.leave, 204);
        problem(await call(server(), 'get', O.org, { token: u.token, org: tm.id }), 'get', O.org, 404, 'ORGANIZATION_NOT_FOUND');
        problem(await leave(u.token, tm.id), 'post', O.leave, 404, 'ORGANIZATION_NOT_FOUND');
        const mine = ok(await call(server(), 'get', O.list, { token: u.token }), 'get', O.list).organizations;
        expect(mine.map((o: any) => o.id)).toEqual([u.orgId]);
      }
      expect(await memberRoles(server(), tm.id)).toEqual({ [tm.owner.userId]: 'OWNER' });
      const audit = await waitOrgAudit(server(), tm.id, 'organization.member.left', 3);
      expect(audit.map((a) => [a.actor_user_id, a.target_id])).toEqual(
        (['ADMIN', 'MEMBER', 'BILLING'] as const).map((r) => [tm.members[r]!.userId, tm.members[r]!.userId]),
      );
    });

    it('409 OWNER_CANNOT_LEAVE for the owner of a team and of the personal organization', async () => {
      const tm = await team(server(), 'mem-leave-owner', ['MEMBER']);
      problem(await leave(tm.owner.token, tm.id), 'post', O.leave, 409, 'OWNER_CANNOT_LEAVE');
      problem(await leave(tm.owner.token), 'post', O.leave, 409, 'OWNER_CANNOT_LEAVE');
      problem(await leave(tm.members.MEMBER!.token), 'post', O.leave, 409, 'OWNER_CANNOT_LEAVE');
      expect(Object.keys(await memberRoles(server(), tm.id))).toHaveLength(2);
    });

    it('401 without a token; 404 for an organization one is not in', async () => {
      const tm = await team(server(), 'mem-leave-404', []);
      const stranger = await newTenant(server(), 'mem-leave-stranger');
      problem(await call(server(), 'post', O.leave, { org: tm.id }), 'post', O.leave, 401, 'UNAUTHORIZED');
      problem(await leave(stranger.token, tm.id), 'post', O.leave, 404, 'ORGANIZATION_NOT_FOUND');
    });
  });

  describe('POST /api/organization/transfer', () => {
    it('200 OWNER → a MEMBER: the old owner becomes ADMIN, organizations.owner_user_id changes, audited', async () => {
      const tm = await team(server(), 'mem-transfer');
      const heir = tm.members.MEMBER!;
      const r = await transfer(tm.owner.token, tm.id, { userId: heir.userId });
      expect(r.headers.get('cache-control')).toContain('no-store');
      const list = ok(r, 'post', O.transfer).members as any[];
      expect(list[0]).toMatchObject({ userId: heir.userId, role: 'OWNER' });
      expect(list.find((m) => m.userId === tm.owner.userId)?.role).toBe('ADMIN');
      expect(await memberRoles(server(), tm.id)).toEqual({
        [heir.userId]: 'OWNER',
        [tm.owner.userId]: 'ADMIN',
        [tm.members.ADMIN!.userId]: 'ADMIN',
        [tm.members.BILLING!.userId]: 'BILLING',
      });
      const row = (await dbQuery(server(), 'SELECT owner_user_id::text AS o FROM organizations WHERE id = $1', [tm.id])).rows[0];
      expect(row.o).toBe(heir.userId);
      const audit = await waitOrgAudit(server(), tm.id, 'organization.ownership_transferred');
      expect(audit).toHaveLength(1);
      expect(audit[0]).toMatchObject({ actor_user_id: tm.owner.userId, target_type: 'user', target_id: heir.userId, request_id: r.headers.get('x-request-id') });

      // Roles apply at once, with the same tokens.
      expect(ok(await call(server(), 'get', O.org, { token: heir.token, org: tm.id }), 'get', O.org).role).toBe('OWNER');
      expect(ok(await call(server(), 'get', O.org, { token: tm.owner.token, org: tm.id }), 'get', O.org).role).toBe('ADMIN');
      forbidden(await transfer(tm.owner.token, tm.id, { userId: tm.members.ADMIN!.userId }), 'post', O.transfer);
      forbidden(await call(server(), 'delete', O.org, { token: tm.owner.token, org: tm.id }), 'delete', O.org);
      // The former owner can now leave; the new owner cannot.
      problem(await leave(heir.token, tm.id), 'post', O.leave, 409, 'OWNER_CANNOT_LEAVE');
      ok(await leave(tm.owner.token, tm.id), 'post', O.leave, 204);
      // And the new owner may hand it back to another member.
      const back = ok(await transfer(heir.token, tm.id, { userId: tm.members.BILLING!.userId }), 'post', O.transfer).members as any[];
      expect(back[0]).toMatchObject({ userId: tm.members.BILLING!.userId, role: 'OWNER' });
      expect(back.find((m) => m.userId === heir.userId)?.role).toBe('ADMIN');
    });

    it('422 for oneself written in upper case too (ids are case-insensitive UUIDs); no transfer is audited', async () => {
      const tm = await team(server(), 'mem-transfer-self-uc', ['MEMBER']);
      invalid(await transfer(tm.owner.token, tm.id, { userId: tm.owner.userId.toUpperCase() }), 'post', O.transfer, 'userId');
      expect(await memberRoles(server(), tm.id)).toEqual({ [tm.owner.userId]: 'OWNER', [tm.members.MEMBER!.userId]: 'MEMBER' });
      expect(await orgAuditActions(tm.id)).not.toContain('organization.ownership_transferred');
    });

    it('403 for ADMIN, MEMBER and BILLING', async () => {
      const tm = await team(server(), 'mem-transfer-403');
      for (const role of ['ADMIN', 'MEMBER', 'BILLING'] as const) {
        const target = role === 'MEMBER' ? tm.members.BILLING! : tm.members.MEMBER!;
        forbidden(await transfer(tokenOf(tm, role), tm.id, { userId: target.userId }), 'post', O.transfer);
        forbidden(await transfer(tokenOf(tm, role), tm.id, { userId: userOf(tm, role).userId }), 'post', O.transfer);
      }
      expect((await memberRoles(server(), tm.id))[tm.owner.userId]).toBe('OWNER');
    });

    it('422 for oneself, a non-uuid, a missing userId or an unknown field; 404 MEMBER_NOT_FOUND for a non-member', async () => {
      const tm = await team(server(), 'mem-transfer-422', ['MEMBER']);
      invalid(await transfer(tm.owner.token, tm.id, { userId: tm.owner.userId }), 'post', O.transfer, 'userId');
      invalid(await transfer(tm.owner.token, tm.id, { userId: 'not-a-uuid' }), 'post', O.transfer, 'userId');
      invalid(await transfer(tm.owner.token, tm.id, { userId: 5 }), 'post', O.transfer, 'userId');
      invalid(await transfer(tm.owner.token, tm.id, {}), 'post', O.transfer, 'userId');
      invalid(await transfer(tm.owner.token, tm.id, { userId: tm.members.MEMBER!.userId, role: 'ADMIN' }), 'post', O.transfer, 'role');
      problem(
        await call(server(), 'post', O.transfer, { token: tm.owner.token, org: tm.id, body: 'x', headers: { 'content-type': 'text/plain' } }),
        'post',
        O.transfer,
        415,
        'UNSUPPORTED_MEDIA_TYPE',
      );
      const outsider = await newTenant(server(), 'mem-transfer-outsider');
      for (const id of [outsider.userId, crypto.randomUUID()]) {
        problem(await transfer(tm.owner.token, tm.id, { userId: id }), 'post', O.transfer, 404, 'MEMBER_NOT_FOUND');
      }
      // In the personal organization there is nobody to transfer to.
      problem(await transfer(tm.owner.token, undefined, { userId: tm.members.MEMBER!.userId }), 'post', O.transfer, 404, 'MEMBER_NOT_FOUND');
      // Nothing changed.
      expect(await memberRoles(server(), tm.id)).toEqual({ [tm.owner.userId]: 'OWNER', [tm.members.MEMBER!.userId]: 'MEMBER' });
      const row = (await dbQuery(server(), 'SELECT owner_user_id::text AS o FROM organizations WHERE id = $1', [tm.id])).rows[0];
      expect(row.o).toBe(tm.owner.userId);
    });
  });

  it('a member of two organizations has a role per organization (the header decides which applies)', async () => {
    const a = await team(server(), 'mem-two-a', []);
    const b = await team(server(), 'mem-two-b', []);
    const u = await newTenant(server(), 'mem-two-user');
    await addMember(server(), a.id, u, 'BILLING');
    await addMember(server(), b.id, u, 'ADMIN');
    const roles: Array<[string | undefined, Role]> = [[a.id, 'BILLING'], [b.id, 'ADMIN'], [undefined, 'OWNER']];
    for (const [org, role] of roles) {
      expect(ok(await call(server(), 'get', O.org, { token: u.token, org }), 'get', O.org).role).toBe(role);
    }
    forbidden(await call(server(), 'get', '/api/user/api-keys', { token: u.token, org: a.id }), 'get', '/api/user/api-keys');
    ok(await call(server(), 'get', '/api/user/api-keys', { token: u.token, org: b.id }), 'get', '/api/user/api-keys');
    const list = ok(await call(server(), 'get', O.list, { token: u.token }), 'get', O.list).organizations as any[];
    expect(list[0]).toMatchObject({ id: u.orgId, personal: true, role: 'OWNER' });
    expect(Object.fromEntries(list.slice(1).map((o) => [o.id, o.role]))).toEqual({ [a.id]: 'BILLING', [b.id]: 'ADMIN' });
    expect(list.slice(1).every((o) => o.memberCount === 2)).toBe(true);
  });
});
