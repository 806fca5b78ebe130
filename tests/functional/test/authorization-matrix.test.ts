/**
 * The authorization matrix: every operation of api/openapi.yaml (= the router table; a C++ contract test keeps the
 * two equal) × every principal, against the expected statuses kept in tests/functional/authz-matrix.yaml.
 *
 * Principals (one server, one fixture world):
 *   anonymous         no Authorization header
 *   memberA           organization role MEMBER in the team organization A (owned by a separate user)
 *   adminA            organization role ADMIN in A
 *   memberB           MEMBER of the team organization B, calling with `X-Organization-Id: <A>`
 *   platformAdmin     users.role ADMIN without two-factor authentication
 *   platformAdmin2fa  users.role ADMIN with two-factor authentication, signed in with password + TOTP
 *   memberB_headerB   second pass of member B: its own `X-Organization-Id: <B>`, org A's ids in the path
 *   adminB_headerB    the same pass as an ADMIN of org B: a MEMBER is refused on its role before most ownership
 *                     checks (members, invitations, invoices), an ADMIN of B reaches them and must get a 404
 * Every signed-in principal sends `X-Organization-Id: <A>` (except the two header-B passes): platform
 * administrators do not gain organization roles (docs/permissions.md), so org-scoped routes must refuse them too.
 *
 * Requests:
 *   - Path parameters come from org A's fixtures (API key, member, invitation, invoice, org A's member as the user of
 *     the admin routes, org A itself…); /gw/{path} is an endpoint of the catalog made for this test (internal echo).
 *   - An operation whose request body is required gets `{}` (application/json): an authorized caller answers
 *     400/422 without side effects, an unauthorized one 401/403/404. Org B's principals instead send a VALID body to
 *     the writes that name an org A resource (PATCH a key, PATCH a member), so the server has to refuse on
 *     ownership, not on validation. Operations whose body is optional are sent without one.
 *   - Bodyless operations that change state get a FRESH resource per cell, created just for it: DELETE/rotate a key,
 *     DELETE a member, resend/DELETE an invitation, DELETE a session (a fresh sign-in of org A's member),
 *     DELETE a service token, DELETE a catalog endpoint.
 *   - Operations that act on the caller itself (logout-all, leave the organization) run as a fresh TWIN of the
 *     principal (a new user with the same roles), so the principals keep working for every other cell.
 *   - Operations expected to be refused for everyone but that would change org A if wrongly allowed (cancel/resume
 *     the subscription, DELETE the organization) run after every other cell, DELETE /api/organization last.
 *
 * Besides the table, rules checked regardless of what the table says (0 cross-organization reads or writes): org B's
 * principals and the platform administrators never get a 2xx from an org-scoped route with org A's header, org B's
 * principals never from a route naming an org A resource (only 401/403/404 are acceptable there), no answer to org
 * B's principals carries an org A identifier, and org A's fixture rows are unchanged after the walk.
 */
import crypto from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import { request } from '../harness/http.js';
import type { TollgateServer } from '../harness/server.js';
import { useServer } from '../harness/vitest-helpers.js';
import { api, dbQuery, loginOk, makeAdmin, sidOf } from './auth-helpers.js';
import { adminSignIn } from './admin-helpers.js';
import { newTenant, type Tenant } from './keys-helpers.js';
import { addMember, call, insertInvoice, invite, ok, ORG_ENV, team, type Team } from './org-helpers.js';
import {
  COLUMNS,
  ORG_B_COLUMNS,
  cellMatches,
  formatDiff,
  loadMatrix,
  specOperations,
  type CellResult,
  type Column,
  type SpecOperation,
} from './authz-helpers.js';

const GW_PATTERN = '/authz-matrix/*';
const GW_PATH = 'authz-matrix/probe';
const PM_ID = 'pm_authzMatrixProbe0001';
const CONCURRENCY = 6;

/** Ops acting on the caller itself: run as a fresh twin of the principal. */
const TWIN_OPS = new Set(['POST /api/auth/logout-all', 'POST /api/organization/leave']);
/** Ops run after all others, in this order (DELETE /api/organization last of all). */
const LAST_OPS = ['POST /api/user/subscription/cancel', 'POST /api/user/subscription/resume', 'DELETE /api/organization'];
/** Valid bodies org B's principals send to writes that name an org A resource. */
const ORG_B_BODIES: Record<string, unknown> = {
  'PATCH /api/user/api-keys/{id}': { name: 'authz-matrix-cross-org' },
  'PATCH /api/organization/members/{userId}': { role: 'BILLING' },
};

/** The org-scoped prefixes of docs/permissions.md (X-Organization-Id applies). */
function orgScoped(p: string): boolean {
  return ['/api/organization', '/api/user/api-keys', '/api/user/usage', '/api/user/subscription', '/api/user/billing'].some(
    (pre) => p === pre || p.startsWith(pre + '/'),
  );
}

interface Principal {
  token?: string;
  org?: string;
  userId?: string;
  email?: string;
}

interface World {
  a: Team;
  b: Team;
  memberA: Tenant;
  adminA: Tenant;
  memberB: Tenant;
  adminB: Tenant;
  /** Org A's MEMBER that path parameters name (never a principal). */
  targetA: Tenant;
  platformAdmin: Principal;
  platformAdmin2fa: Principal & { password: string; totpSecret: string };
  keyA: { id: string; prefix: string; name: string };
  invitationA: { id: string; email: string };
  invoiceA: string;
  planId: string;
  endpointId: string;
  /** Strings org B's principals must never see: org A ids, key prefixes, emails… (value → label). */
  secrets: Map<string, string>;
}

/** Runs `fns` with at most `n` in flight; results in order. */
async function pool<T>(fns: Array<() => Promise<T>>, n: number): Promise<T[]> {
  const out: T[] = new Array(fns.length);
  let next = 0;
  const worker = async () => {
    for (;;) {
      const i = next++;
      if (i >= fns.length) return;
      out[i] = await fns[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, fns.length) }, worker));
  return out;
}

describe('authorization matrix: every route × every principal', () => {
  const server = useServer({ ...ORG_ENV, STRIPE_WEBHOOK_SECRET: 'whsec_authz_matrix_test_secret' });
  const matrix = loadMatrix();
  const ops = specOperations();
  let w: World;
  const results: CellResult[] = [];
  let canary: string[] = [];
  let snapshotBefore = '';
  let snapshotAfter = '';

  // ------------------------------------------------------------------------------------------ fixtures

  function remember(value: string | undefined, label: string): void {
    if (value) w.secrets.set(value, label);
  }

  async function newKeyA(s: TollgateServer, tag: string): Promise<{ id: string; prefix: string; name: string }> {
    const name = `authz-${tag}-${crypto.randomBytes(3).toString('hex')}`;
    const r = await call(s, 'post', '/api/user/api-keys', { token: w.a.owner.token, org: w.a.id, body: { name } });
    const b = ok(r, 'post', '/api/user/api-keys', 201);
    remember(b.key.id, `org A key id (${tag})`);
    remember(b.key.prefix, `org A key prefix (${tag})`);
    remember(b.secret, `org A key secret (${tag})`);
    return { id: b.key.id, prefix: b.key.prefix, name };
  }

  async function newInvitationA(s: TollgateServer, tag: string): Promise<{ id: string; email: string }> {
    const email = `authz-inv-${crypto.randomBytes(8).toString('hex')}@example.com`;
    const inv = await invite(s, w.a.owner.token, w.a.id, email, 'MEMBER');
    remember(inv.id, `org A invitation id (${tag})`);
    remember(email, `org A invitee email (${tag})`);
    return { id: inv.id, email };
  }

  async function newMemberOf(s: TollgateServer, org: string, role: 'ADMIN' | 'MEMBER', tag: string, secret: boolean): Promise<Tenant> {
    const t = await newTenant(s, 'authz-m'); // the tag is only for the secrets' labels (the email's local part has ≤ 64 chars)
    await addMember(s, org, t, role);
    if (secret) {
      remember(t.userId, `org A member id (${tag})`);
      remember(t.email, `org A member email (${tag})`);
    }
    return t;
  }

  async function platformAdminWithout2fa(s: TollgateServer, tag: string): Promise<Principal> {
    const t = await newTenant(s, 'authz-padm');
    await makeAdmin(s, t.userId);
    const signedIn = await loginOk(s, t.email, t.password); // the role is read at sign-in
    expect(signedIn.user.role).toBe('ADMIN');
    expect(signedIn.user.twoFactorEnabled).toBe(false);
    return { token: signedIn.accessToken, userId: t.userId, email: t.email };
  }

  /** The principal of a column (its token and the X-Organization-Id it sends). */
  function principal(col: Column): Principal {
    switch (col) {
      case 'anonymous':
        return { org: w.a.id };
      case 'memberA':
        return { ...w.memberA, org: w.a.id };
      case 'adminA':
        return { ...w.adminA, org: w.a.id };
      case 'memberB':
        return { ...w.memberB, org: w.a.id };
      case 'platformAdmin':
        return { ...w.platformAdmin, org: w.a.id };
      case 'platformAdmin2fa':
        return { ...w.platformAdmin2fa, org: w.a.id };
      case 'memberB_headerB':
        return { ...w.memberB, org: w.b.id };
      case 'adminB_headerB':
        return { ...w.adminB, org: w.b.id };
    }
  }

  /** A fresh user holding the same roles as the column's principal (same header). */
  async function twin(s: TollgateServer, col: Column): Promise<Principal> {
    switch (col) {
      case 'anonymous':
        return principal(col);
      case 'memberA':
        return { ...(await newMemberOf(s, w.a.id, 'MEMBER', 'twin-memberA', true)), org: w.a.id };
      case 'adminA':
        return { ...(await newMemberOf(s, w.a.id, 'ADMIN', 'twin-adminA', true)), org: w.a.id };
      case 'memberB':
        return { ...(await newMemberOf(s, w.b.id, 'MEMBER', 'twin-memberB', false)), org: w.a.id };
      case 'memberB_headerB':
        return { ...(await newMemberOf(s, w.b.id, 'MEMBER', 'twin-memberB', false)), org: w.b.id };
      case 'adminB_headerB':
        return { ...(await newMemberOf(s, w.b.id, 'ADMIN', 'twin-adminB', false)), org: w.b.id };
      case 'platformAdmin':
        return { ...(await platformAdminWithout2fa(s, 'twin-padmin')), org: w.a.id };
      case 'platformAdmin2fa': {
        const adm = await adminSignIn(s, 'authz-padm2');
        return { token: adm.token, userId: adm.userId, email: adm.email, org: w.a.id };
      }
    }
  }

  /** Path parameters: org A's fixtures; `owned` names the ones that are org A's data. */
  function defaultParams(p: string): { params: Record<string, string>; owned: string[] } {
    const now = new Date();
    const rules: Array<[RegExp, Record<string, string>, string[]]> = [
      [/^\/api\/user\/api-keys\/\{id\}/, { id: w.keyA.id }, ['id']],
      [/^\/api\/organization\/members\/\{userId\}/, { userId: w.targetA.userId }, ['userId']],
      [/^\/api\/organization\/invitations\/\{id\}/, { id: w.invitationA.id }, ['id']],
      [/^\/api\/user\/sessions\/\{id\}/, { id: '' }, ['id']], // always fresh
      [/^\/api\/user\/billing\/invoices\/\{id\}/, { id: w.invoiceA }, ['id']],
      [/^\/api\/user\/billing\/payment-methods\/\{id\}/, { id: PM_ID }, []],
      [/^\/api\/user\/usage\/monthly\/\{year\}\/\{month\}/, { year: String(now.getUTCFullYear()), month: String(now.getUTCMonth() + 1) }, []],
      [/^\/api\/admin\/users\/\{id\}/, { id: w.targetA.userId }, ['id']],
      [/^\/api\/admin\/organizations\/\{id\}/, { id: w.a.id }, ['id']],
      [/^\/api\/admin\/plans\/\{id\}/, { id: w.planId }, []],
      [/^\/api\/admin\/invoices\/\{id\}/, { id: w.invoiceA }, ['id']],
      [/^\/api\/admin\/service-tokens\/\{id\}/, { id: '' }, []], // always fresh
      [/^\/api\/admin\/endpoints\/\{id\}/, { id: w.endpointId }, []],
      [/^\/gw\/\{path\}/, { path: GW_PATH }, []],
      [/^\/api\/notifications\/\{id\}/, { id: '00000000-0000-4000-8000-000000000001' }, []], // per user: nobody's
    ];
    for (const [re, params, owned] of rules) if (re.test(p)) return { params, owned };
    if (p.includes('{')) throw new Error(`no fixture for the path parameters of ${p}: add a rule to defaultParams()`);
    return { params: {}, owned: [] };
  }

  /** Per-cell fresh resources of bodyless writes. */
  const FRESH: Record<string, (s: TollgateServer, col: Column) => Promise<Record<string, string>>> = {
    'DELETE /api/user/api-keys/{id}': async (s, col) => ({ id: (await newKeyA(s, `del-${col}`)).id }),
    'POST /api/user/api-keys/{id}/rotate': async (s, col) => ({ id: (await newKeyA(s, `rot-${col}`)).id }),
    'DELETE /api/organization/members/{userId}': async (s, col) => ({
      userId: (await newMemberOf(s, w.a.id, 'MEMBER', `del-member-${col}`, true)).userId,
    }),
    'POST /api/organization/invitations/{id}/resend': async (s, col) => ({ id: (await newInvitationA(s, `resend-${col}`)).id }),
    'DELETE /api/organization/invitations/{id}': async (s, col) => ({ id: (await newInvitationA(s, `del-${col}`)).id }),
    'DELETE /api/user/sessions/{id}': async (s) => {
      const signedIn = await loginOk(s, w.targetA.email, w.targetA.password);
      const sid = sidOf(signedIn.accessToken);
      remember(sid, 'org A member session id');
      return { id: sid };
    },
    'DELETE /api/admin/service-tokens/{id}': async (s, col) => {
      const r = await api(s, 'post', '/api/admin/service-tokens', { token: w.platformAdmin2fa.token, body: { name: `authz-${col}` } });
      return { id: ok(r, 'post', '/api/admin/service-tokens', 201).id };
    },
    'DELETE /api/admin/endpoints/{id}': async (s, col) => {
      const r = await api(s, 'post', '/api/admin/endpoints', {
        token: w.platformAdmin2fa.token,
        body: { pathPattern: `/authz-matrix-del/${col}-${crypto.randomBytes(3).toString('hex')}`, upstreamUrl: 'internal://echo' },
      });
      return { id: ok(r, 'post', '/api/admin/endpoints', 201).id };
    },
  };

  function queryFor(op: SpecOperation): string {
    if (op.key === 'GET /api/admin/rate-limits') return `?kind=user&id=${w.targetA.userId}`;
    const required = (op.op.parameters ?? []).filter((x: any) => x.required && x.in === 'query');
    if (required.length) throw new Error(`${op.key}: required query parameter(s) ${required.map((x: any) => x.name)} need a value in queryFor()`);
    return '';
  }

  async function runCell(s: TollgateServer, op: SpecOperation, col: Column): Promise<CellResult> {
    const base: CellResult = { op: op.key, column: col, url: '', status: 0, text: '', expected: matrix.get(op.key)?.cells[col] };
    try {
      const who = TWIN_OPS.has(op.key) ? await twin(s, col) : principal(col);
      const { params, owned } = defaultParams(op.path);
      const fresh = FRESH[op.key] ? await FRESH[op.key]!(s, col) : {};
      const all = { ...params, ...fresh };
      const url =
        op.path.replace(/\{([A-Za-z]+)\}/g, (_, name: string) => {
          const v = all[name];
          if (!v) throw new Error(`no value for {${name}}`);
          return name === 'path' ? v : encodeURIComponent(v);
        }) + queryFor(op);
      let body: string | undefined;
      if (ORG_B_COLUMNS.includes(col) && owned.length > 0 && ORG_B_BODIES[op.key] !== undefined) body = JSON.stringify(ORG_B_BODIES[op.key]);
      else if (op.requiredBody) body = '{}';
      const headers: Record<string, string> = {};
      if (who.token) headers.authorization = `Bearer ${who.token}`;
      if (who.org) headers['x-organization-id'] = who.org;
      if (body !== undefined) headers['content-type'] = 'application/json';
      const r = await request(s.baseUrl + url, { method: op.method, headers, body, timeoutMs: 15_000 });
      const code = /^application\/problem\+json/i.test(r.contentType) ? r.json?.code : undefined;
      return { ...base, url, status: r.status, code, text: r.text };
    } catch (e) {
      return { ...base, error: (e as Error).message.split('\n')[0]!.slice(0, 300) };
    }
  }

  /** Org A's fixture rows: must be byte-identical before and after the walk (no write reached them). */
  async function snapshot(s: TollgateServer): Promise<string> {
    const q = async (sql: string, params: unknown[]) => JSON.stringify((await dbQuery(s, sql, params)).rows);
    return [
      await q(`SELECT name, billing_email, status, owner_user_id FROM organizations WHERE id = $1`, [w.a.id]),
      await q(`SELECT user_id::text, role FROM organization_members WHERE organization_id = $1 AND user_id = ANY($2::uuid[]) ORDER BY user_id`, [
        w.a.id,
        [w.a.owner.userId, w.adminA.userId, w.memberA.userId, w.targetA.userId],
      ]),
      await q(`SELECT name, status, rate_limit_per_minute, metadata::text, revoked_at FROM api_keys WHERE id = $1`, [w.keyA.id]),
      await q(`SELECT token_hash, revoked_at, accepted_at, send_count FROM invitations WHERE id = $1`, [w.invitationA.id]),
      await q(`SELECT status, paid_at FROM billing_records WHERE id = $1`, [w.invoiceA]),
      await q(`SELECT status, cancel_at_period_end, plan_id FROM subscriptions WHERE organization_id = $1 ORDER BY created_at`, [w.a.id]),
      await q(`SELECT status, role FROM users WHERE id = $1`, [w.targetA.userId]),
    ].join('\n');
  }

  beforeAll(async () => {
    const s = server();
    const t0 = Date.now();
    const a = await team(s, `authzA-${crypto.randomBytes(3).toString('hex')}`, ['ADMIN', 'MEMBER']);
    const b = await team(s, `authzB-${crypto.randomBytes(3).toString('hex')}`, ['ADMIN', 'MEMBER']);
    const planId = (await dbQuery(s, `SELECT id::text AS id FROM plans WHERE slug = 'business'`)).rows[0].id as string;
    w = {
      a,
      b,
      memberA: a.members.MEMBER!,
      adminA: a.members.ADMIN!,
      memberB: b.members.MEMBER!,
      adminB: b.members.ADMIN!,
      targetA: undefined as unknown as Tenant,
      platformAdmin: {},
      platformAdmin2fa: undefined as unknown as World['platformAdmin2fa'],
      keyA: undefined as unknown as World['keyA'],
      invitationA: undefined as unknown as World['invitationA'],
      invoiceA: '',
      planId,
      endpointId: '',
      secrets: new Map(),
    };
    remember(a.id, 'org A id');
    remember(a.name, 'org A name');
    for (const [label, t] of [['owner', a.owner], ['adminA', w.adminA], ['memberA', w.memberA]] as const) {
      remember(t.userId, `org A ${label} user id`);
      remember(t.email, `org A ${label} email`);
    }
    w.targetA = await newMemberOf(s, a.id, 'MEMBER', 'targetA', true);
    w.platformAdmin = await platformAdminWithout2fa(s, 'padmin');
    const adm = await adminSignIn(s, 'authz-padm2');
    w.platformAdmin2fa = { token: adm.token, userId: adm.userId, email: adm.email, password: adm.password, totpSecret: adm.totpSecret };
    w.keyA = await newKeyA(s, 'fixture');
    w.invitationA = await newInvitationA(s, 'fixture');
    w.invoiceA = await insertInvoice(s, a.id);
    remember(w.invoiceA, 'org A invoice id');
    const ep = await api(s, 'post', '/api/admin/endpoints', {
      token: w.platformAdmin2fa.token,
      body: { pathPattern: GW_PATTERN, upstreamUrl: 'internal://echo', description: 'authorization matrix probe' },
    });
    w.endpointId = ok(ep, 'post', '/api/admin/endpoints', 201).id;
    snapshotBefore = await snapshot(s);
    const t1 = Date.now();

    // Main phase: every cell except the LAST ones, at most CONCURRENCY at a time.
    const lastSet = new Set(LAST_OPS);
    const main = ops.filter((o) => !lastSet.has(o.key));
    const cells = main.flatMap((o) => COLUMNS.map((c) => () => runCell(s, o, c)));
    results.push(...(await pool(cells, CONCURRENCY)));

    // The principals must still be intact: a cell that revoked or removed one would skew every later cell.
    canary = [];
    for (const col of ['memberA', 'adminA', 'memberB_headerB', 'adminB_headerB'] as const) {
      const p = principal(col);
      const r = await call(s, 'get', '/api/organization', { token: p.token, org: p.org });
      if (r.status !== 200) canary.push(`${col}: GET /api/organization → ${r.status} ${r.text.slice(0, 200)}`);
    }
    for (const col of ['memberB', 'platformAdmin', 'platformAdmin2fa'] as const) {
      const r = await call(s, 'get', '/api/user/profile', { token: principal(col).token });
      if (r.status !== 200) canary.push(`${col}: GET /api/user/profile → ${r.status} ${r.text.slice(0, 200)}`);
    }

    // Last phase: refused-for-everyone writes on org A itself, one at a time, DELETE /api/organization last.
    for (const key of LAST_OPS) {
      const op = ops.find((o) => o.key === key);
      if (!op) continue;
      for (const c of COLUMNS) results.push(await runCell(s, op, c));
    }
    snapshotAfter = await snapshot(s);
    // eslint-disable-next-line no-console
    console.log(
      `[authz-matrix] ${ops.length} operations × ${COLUMNS.length} columns = ${results.length} cells; fixtures ${t1 - t0} ms, walk ${Date.now() - t1} ms`,
    );
  }, 180_000);

  // ------------------------------------------------------------------------------------------- tests

  it('the table classifies exactly the operations of api/openapi.yaml (new routes must be classified)', () => {
    const inSpec = new Set(ops.map((o) => o.key));
    const missing = [...inSpec].filter((k) => !matrix.has(k));
    const extra = [...matrix.keys()].filter((k) => !inSpec.has(k));
    expect(
      { missingFromTable: missing, notInSpec: extra },
      `authz-matrix.yaml must have one row per operation of api/openapi.yaml.\n` +
        `  operations without a row: ${missing.join(', ') || '(none)'}\n  rows without an operation: ${extra.join(', ') || '(none)'}`,
    ).toEqual({ missingFromTable: [], notInSpec: [] });
  });

  it('every operation × principal answers the status the table expects', () => {
    expect(results.length, 'every operation × column was run').toBe(ops.length * COLUMNS.length);
    const diff = formatDiff(results, (op) => matrix.get(op)?.why);
    if (diff) console.error(`\n${diff}\n`); // eslint-disable-line no-console
    expect(results.filter((r) => !cellMatches(r)).length, diff).toBe(0);
  });

  it('0 cross-organization reads or writes: non-members never get a 2xx on org A data (only 401/403/404)', () => {
    const violations: string[] = [];
    for (const r of results) {
      const op = ops.find((o) => o.key === r.op)!;
      const nonMember = r.column === 'memberB' || r.column === 'platformAdmin' || r.column === 'platformAdmin2fa';
      const scopedToA = nonMember && orgScoped(op.path);
      const namesA = ORG_B_COLUMNS.includes(r.column) && defaultParams(op.path).owned.length > 0;
      if (!scopedToA && !namesA) continue;
      if (r.error) violations.push(`${r.op} × ${r.column}: not run (${r.error})`);
      else if (![401, 403, 404].includes(r.status)) violations.push(`${r.op} × ${r.column}: ${r.status} ${r.code ?? ''} ${r.url}`);
    }
    expect(violations, `cross-organization answers:\n  ${violations.join('\n  ')}`).toEqual([]);
  });

  it("no answer to org B's principals carries an org A identifier, key prefix, member email or invitation id", () => {
    const leaks: string[] = [];
    for (const r of results) {
      if (!ORG_B_COLUMNS.includes(r.column)) continue;
      const text = r.text.toLowerCase();
      for (const [value, label] of w.secrets) {
        if (text.includes(value.toLowerCase())) leaks.push(`${r.op} × ${r.column} (${r.status}): contains ${label} ${value}`);
      }
    }
    expect(leaks, `org A data in answers to org B's principals:\n  ${leaks.join('\n  ')}`).toEqual([]);
  });

  it("org A's fixture rows are unchanged and the principals intact after the walk (cells did not leak into each other)", () => {
    expect(canary, `principals broken by an earlier cell:\n  ${canary.join('\n  ')}`).toEqual([]);
    expect(snapshotAfter, 'org A fixture rows (organization, members, key, invitation, invoice, subscription) after the walk').toBe(
      snapshotBefore,
    );
  });
});
