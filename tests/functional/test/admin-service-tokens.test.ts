/**
 * Service tokens (root keys for POST /v1/keys/verify) managed by administrators: GET/POST
 * /api/admin/service-tokens and DELETE /api/admin/service-tokens/{id}. The token is shown once (tg_svc_…), only its
 * hash is kept, it works for /v1/keys/verify at once, and a revoked token is refused within ~6 s (the verify path
 * caches a token for up to 5 s). Validation, 404 and the audit trail.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, dbQuery } from './auth-helpers.js';
import { SVC_RE, VERIFY, createKey, newTenant, sha256, verify, verifyOk, type Tenant } from './keys-helpers.js';
import { ADMIN_ENV, AD, UUID_RE, adminSignIn, at, expectAdminAudit, invalid, ok, problem, sentWithin, type Admin } from './admin-helpers.js';

describe('admin: service tokens', () => {
  const server = useServer(ADMIN_ENV);
  printLogsOnFailure();

  let admin: Admin;
  let tenant: Tenant;
  let keySecret: string;

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'svc-admin');
    tenant = await newTenant(server(), 'svc-tenant');
    keySecret = (await createKey(server(), tenant.token, { rateLimitPerMinute: 100000 })).secret;
  });

  const create = (body: unknown) => api(server(), 'post', AD.tokens, { token: admin.token, body });
  const createOk = async (body: Record<string, unknown>) => ok(await create(body), 'post', AD.tokens, 201);
  const listOk = async () => ok(await api(server(), 'get', AD.tokens, { token: admin.token }), 'get', AD.tokens, 200).tokens as any[];
  const revoke = (id: string, body?: unknown) => api(server(), 'delete', at(AD.token, id), { token: admin.token, body });

  it('201: the token is shown once (tg_svc_…), stored only as a hash, listed without its secret, and works for /v1/keys/verify', async () => {
    const name = 'Billing worker';
    const created = await createOk({ name, reason: 'New billing worker deployment' });
    expect(created.token).toMatch(SVC_RE);
    expect(created).toMatchObject({ name, scopes: ['keys:verify'], status: 'active', expiresAt: null, revokedAt: null, createdBy: admin.userId });
    expect(created.id).toMatch(UUID_RE);
    expect(created.prefix).toBe(created.token.slice(0, created.prefix.length));
    expect(created.prefix.length).toBeLessThan(created.token.length - 20);

    const rows = await dbQuery(server(), 'SELECT token_hash FROM service_tokens WHERE id = $1', [created.id]);
    expect(Buffer.compare(rows.rows[0].token_hash, sha256(created.token))).toBe(0);

    const r = await api(server(), 'get', AD.tokens, { token: admin.token });
    const tokens = ok(r, 'get', AD.tokens, 200).tokens as any[];
    const listed = tokens.find((t) => t.id === created.id);
    expect(listed).toMatchObject({ name, prefix: created.prefix, status: 'active', scopes: ['keys:verify'] });
    expect(listed).not.toHaveProperty('token');
    expect(r.text).not.toContain(created.token);

    const v = await verifyOk(server(), created.token, { key: keySecret });
    expect(v.json).toMatchObject({ valid: true, code: 'VALID', organizationId: tenant.orgId });

    const row = await expectAdminAudit(server(), admin, created.id, 'admin.service_token.created', 'New billing worker deployment', {
      targetType: 'service_token',
      secrets: [created.token],
    });
    expect(row.metadata).toMatchObject({ name, scopes: ['keys:verify'], prefix: created.prefix });
  });

  it('200: the list is newest first and covers revoked and expired tokens', async () => {
    const a = await createOk({ name: 'first' });
    const b = await createOk({ name: 'second', scopes: ['keys:verify', 'keys:verify'], expiresAt: new Date(Date.now() + 86_400_000).toISOString() });
    expect(b.scopes).toEqual(['keys:verify']);
    expect(Date.parse(b.expiresAt)).toBeGreaterThan(Date.now());
    const expired = await createOk({ name: 'soon expired', expiresAt: new Date(Date.now() + 3_600_000).toISOString() });
    await dbQuery(server(), `UPDATE service_tokens SET expires_at = now() - interval '1 minute' WHERE id = $1`, [expired.id]);
    ok(await revoke(a.id), 'delete', AD.token, 204);
    const tokens = await listOk();
    const ids = tokens.map((t) => t.id);
    expect(ids.indexOf(expired.id)).toBeLessThan(ids.indexOf(b.id));
    expect(ids.indexOf(b.id)).toBeLessThan(ids.indexOf(a.id));
    const byId = new Map(tokens.map((t) => [t.id, t]));
    expect(byId.get(a.id)).toMatchObject({ status: 'revoked' });
    expect(typeof byId.get(a.id).revokedAt).toBe('string');
    expect(byId.get(b.id)).toMatchObject({ status: 'active' });
    expect(byId.get(expired.id)).toMatchObject({ status: 'expired' });
    const r = await verify(server(), expired.token, { key: keySecret });
    problem(r, 'post', VERIFY, 401, 'INVALID_SERVICE_TOKEN');
  });

  it('204: revoked; /v1/keys/verify refuses the token within ~6 s (cached ≤ 5 s); revoking again is 204; audited', async () => {
    const created = await createOk({ name: 'to revoke' });
    // Used first, so the verify path has it cached.
    await verifyOk(server(), created.token, { key: keySecret });
    const reason = 'Token leaked in a CI log';
    const r = await revoke(created.id, { reason });
    const t0 = Date.now();
    ok(r, 'delete', AD.token, 204);

    const ms = await sentWithin(8000, async () => (await verify(server(), created.token, { key: keySecret })).status === 401, t0, 200);
    expect(ms, 'the revoked token was refused (ms after the revocation)').toBeGreaterThanOrEqual(0);
    expect(ms).toBeLessThanOrEqual(6000);
    problem(await verify(server(), created.token, { key: keySecret }), 'post', VERIFY, 401, 'INVALID_SERVICE_TOKEN');

    ok(await revoke(created.id), 'delete', AD.token, 204);
    await expectAdminAudit(server(), admin, created.id, 'admin.service_token.revoked', reason, { targetType: 'service_token', secrets: [created.token] });
    const listed = (await listOk()).find((t) => t.id === created.id);
    expect(listed.status).toBe('revoked');
  });

  it('404 SERVICE_TOKEN_NOT_FOUND: unknown or malformed id', async () => {
    problem(await revoke(crypto.randomUUID()), 'delete', AD.token, 404, 'SERVICE_TOKEN_NOT_FOUND');
    problem(await revoke('not-a-uuid'), 'delete', AD.token, 404, 'SERVICE_TOKEN_NOT_FOUND');
  });

  it('422: blank or missing name, unknown or empty scopes, bad or past expiresAt, unknown field; nothing is created', async () => {
    const before = (await listOk()).length;
    const cases: Array<[unknown, string]> = [
      [{}, 'name'],
      [{ name: '' }, 'name'],
      [{ name: '   ' }, 'name'],
      [{ name: 42 }, 'name'],
      [{ name: 'n'.repeat(101) }, 'name'],
      [{ name: 'x', scopes: ['keys:admin'] }, 'scopes'],
      [{ name: 'x', scopes: ['keys:verify', 'billing:write'] }, 'scopes'],
      [{ name: 'x', scopes: [] }, 'scopes'],
      [{ name: 'x', scopes: 'keys:verify' }, 'scopes'],
      [{ name: 'x', expiresAt: 'tomorrow' }, 'expiresAt'],
      [{ name: 'x', expiresAt: 1767225600 }, 'expiresAt'],
      [{ name: 'x', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      [{ name: 'x', expiresAt: '2026-02-30T00:00:00Z' }, 'expiresAt'],
      [{ name: 'x', owner: 'me' }, 'owner'],
    ];
    for (const [body, field] of cases) invalid(await create(body), 'post', AD.tokens, field);
    expect((await listOk()).length).toBe(before);
  });

  it('400: malformed JSON', async () => {
    problem(await create('{"name": '), 'post', AD.tokens, 400, 'MALFORMED_JSON');
  });
});
