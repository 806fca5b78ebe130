/**
 * POST /api/admin/invoices/{id}/mark-paid (local billing mode): an administrator records a payment received outside
 * Tollgate. The invoices are real ones, made by the local renewal (a local subscription made due by SQL,
 * BILLING_JOB_INTERVAL_SECONDS=1). Access, 404, validation of the required reason, the paid invoice and its audit
 * row, and 409 INVOICE_NOT_PAYABLE for anything but an open or failed local invoice.
 */
import crypto from 'node:crypto';
import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { api, dbQuery, loginOk, makeAdmin, registerAccount } from './auth-helpers.js';
import {
  A,
  adminSignIn,
  fill,
  invalidField,
  localEnv,
  newTenant,
  okJson,
  problemOf,
  subscribeLocal,
  until,
  type Admin,
  type Tenant,
} from './billing-admin-helpers.js';

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const STARTER_MONTHLY = 1900;

describe('POST /api/admin/invoices/{id}/mark-paid', () => {
  const server = useServer(localEnv({ BILLING_JOB_INTERVAL_SECONDS: '1' }));
  printLogsOnFailure();

  let admin: Admin;
  let userToken: string;
  let no2faToken: string;

  beforeAll(async () => {
    admin = await adminSignIn(server(), 'inv-admin');
    userToken = (await registerAccount(server(), {}, 'inv-user')).result.accessToken;
    const n = await registerAccount(server(), {}, 'inv-admin-no2fa');
    await makeAdmin(server(), n.result.user.id);
    no2faToken = (await loginOk(server(), n.email, n.password)).accessToken;
  });

  const markPaid = (token: string | undefined, id: string, body: unknown = { reason: 'Bank transfer received' }, headers: Record<string, string> = {}) =>
    api(server(), 'post', fill(A.markPaid, id), { token, body, headers });

  /** A tenant on Starter (local) whose period just ended, and the open invoice the renewal made for it. */
  async function localInvoice(tag: string): Promise<{ t: Tenant; id: string }> {
    const t = await newTenant(server(), tag);
    await subscribeLocal(server(), t, 'starter');
    const r = await dbQuery(
      server(),
      `UPDATE subscriptions SET current_period_start = date_trunc('second', now()) - interval '1 month',
                                current_period_end = date_trunc('second', now()) - interval '1 second'
        WHERE organization_id = $1 AND status = 'active' AND source = 'local'`,
      [t.orgId],
    );
    expect(r.rowCount).toBe(1);
    const id = await until(
      'the local invoice of the ended period',
      async () => {
        const q = await dbQuery(server(), `SELECT id::text AS id FROM billing_records WHERE organization_id = $1 AND source = 'local'`, [t.orgId]);
        return q.rows[0]?.id as string | undefined;
      },
      20_000,
    );
    return { t, id };
  }

  async function stored(id: string): Promise<any> {
    const r = await dbQuery(
      server(),
      `SELECT status, paid_at, amount_paid_minor::bigint::text AS paid, amount_due_minor::bigint::text AS due,
              marked_paid_by::text AS by FROM billing_records WHERE id = $1`,
      [id],
    );
    return r.rows[0];
  }

  let main: { t: Tenant; id: string };
  beforeAll(async () => {
    main = await localInvoice('inv-main');
  }, 60_000);

  it('the renewal made an open local invoice for the period (the fixture)', async () => {
    const list = okJson(await api(server(), 'get', A.invoices, { token: main.t.token }), 'get', A.invoices, 200);
    const inv = list.invoices.find((x: any) => x.id === main.id);
    expect(inv).toMatchObject({ status: 'open', source: 'local', currency: 'USD', amountDue: STARTER_MONTHLY, amountPaid: 0, paidAt: null });
    expect(inv.number).toMatch(/^TG-\d{6}-\d{6}$/);
  });

  it('401 UNAUTHORIZED: no token, or a token that is not one', async () => {
    problemOf(await markPaid(undefined, main.id), 'post', A.markPaid, 401, 'UNAUTHORIZED');
    problemOf(await markPaid('garbage', main.id), 'post', A.markPaid, 401, 'UNAUTHORIZED');
    problemOf(await markPaid(undefined, crypto.randomUUID()), 'post', A.markPaid, 401, 'UNAUTHORIZED');
    expect((await stored(main.id)).status).toBe('open');
  });

  it('403 FORBIDDEN for a non-admin (even the invoice\'s own organization), 403 ADMIN_2FA_REQUIRED for an admin without 2FA', async () => {
    problemOf(await markPaid(userToken, main.id), 'post', A.markPaid, 403, 'FORBIDDEN');
    problemOf(await markPaid(main.t.token, main.id), 'post', A.markPaid, 403, 'FORBIDDEN');
    problemOf(await markPaid(no2faToken, main.id), 'post', A.markPaid, 403, 'ADMIN_2FA_REQUIRED');
    expect((await stored(main.id)).status).toBe('open');
  });

  it('404 INVOICE_NOT_FOUND: an unknown uuid, and an id that is not a uuid', async () => {
    problemOf(await markPaid(admin.token, crypto.randomUUID()), 'post', A.markPaid, 404, 'INVOICE_NOT_FOUND');
    problemOf(await markPaid(admin.token, 'not-a-uuid'), 'post', A.markPaid, 404, 'INVOICE_NOT_FOUND');
    problemOf(await markPaid(admin.token, 'TG-202601-000001'), 'post', A.markPaid, 404, 'INVOICE_NOT_FOUND');
  });

  it('422 VALIDATION_FAILED: the reason missing, blank, not a string, too long; unknown fields', async () => {
    invalidField(await markPaid(admin.token, main.id, {}), 'post', A.markPaid, 'reason');
    invalidField(await markPaid(admin.token, main.id, { reason: '' }), 'post', A.markPaid, 'reason');
    invalidField(await markPaid(admin.token, main.id, { reason: '   \t ' }), 'post', A.markPaid, 'reason');
    invalidField(await markPaid(admin.token, main.id, { reason: null }), 'post', A.markPaid, 'reason');
    invalidField(await markPaid(admin.token, main.id, { reason: 42 }), 'post', A.markPaid, 'reason');
    invalidField(await markPaid(admin.token, main.id, { reason: 'r'.repeat(2001) }), 'post', A.markPaid, 'reason');
    invalidField(await markPaid(admin.token, main.id, { reason: 'ok', amount: 1900 }), 'post', A.markPaid, 'amount');
    problemOf(await markPaid(admin.token, main.id, '[]'), 'post', A.markPaid, 422, 'VALIDATION_FAILED');
    expect((await stored(main.id)).status).toBe('open');
    const audit = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE action = 'admin.invoice.marked_paid' AND target_id = $1`, [main.id]);
    expect(audit.rows[0].n).toBe(0);
  });

  it('415 and 400: the body must be JSON sent as application/json', async () => {
    problemOf(
      await markPaid(admin.token, main.id, JSON.stringify({ reason: 'x' }), { 'content-type': 'text/plain' }),
      'post',
      A.markPaid,
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    problemOf(await markPaid(admin.token, main.id, '{"reason": '), 'post', A.markPaid, 400, 'MALFORMED_JSON');
    expect((await stored(main.id)).status).toBe('open');
  });

  it('200: paid, paidAt set, amountPaid = amountDue; audited with the reason; the second time 409 INVOICE_NOT_PAYABLE', async () => {
    const before = Date.now();
    const r = await markPaid(admin.token, main.id, { reason: '  Wire transfer ref 2024-118  ' });
    const inv = okJson(r, 'post', A.markPaid, 200);
    expect(r.headers.get('cache-control')).toContain('no-store');
    expect(inv.id).toMatch(UUID_RE);
    expect(inv).toMatchObject({ id: main.id, status: 'paid', source: 'local', amountDue: STARTER_MONTHLY, amountPaid: STARTER_MONTHLY, total: STARTER_MONTHLY });
    expect(inv.paidAt).not.toBeNull();
    expect(Date.parse(inv.paidAt)).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 - 2000);
    expect(Date.parse(inv.paidAt)).toBeLessThanOrEqual(Date.now() + 2000);

    const row = await stored(main.id);
    expect(row).toMatchObject({ status: 'paid', paid: String(STARTER_MONTHLY), due: String(STARTER_MONTHLY), by: admin.userId });

    const audit = await dbQuery(
      server(),
      `SELECT actor_type, actor_user_id::text AS actor, organization_id::text AS org, target_type, target_id, reason, request_id
         FROM audit_log WHERE action = 'admin.invoice.marked_paid' AND target_id = $1`,
      [main.id],
    );
    expect(audit.rows).toEqual([
      {
        actor_type: 'admin',
        actor: admin.userId,
        org: main.t.orgId,
        target_type: 'billing_record',
        target_id: main.id,
        reason: 'Wire transfer ref 2024-118',
        request_id: r.headers.get('x-request-id'),
      },
    ]);

    // The organization sees it paid.
    const list = okJson(await api(server(), 'get', A.invoices, { token: main.t.token }), 'get', A.invoices, 200);
    expect(list.invoices.find((x: any) => x.id === main.id)).toMatchObject({ status: 'paid', amountPaid: STARTER_MONTHLY, paidAt: inv.paidAt });

    // Once paid, not again: nothing changes, no second audit row.
    const again = problemOf(await markPaid(admin.token, main.id, { reason: 'Paid twice?' }), 'post', A.markPaid, 409, 'INVOICE_NOT_PAYABLE');
    expect(again.detail ?? '').toContain('paid');
    expect(await stored(main.id)).toEqual(row);
    const n = await dbQuery(server(), `SELECT count(*)::int AS n FROM audit_log WHERE action = 'admin.invoice.marked_paid' AND target_id = $1`, [main.id]);
    expect(n.rows[0].n).toBe(1);
  });

  it('a failed local invoice can be marked paid; a void one and a Stripe invoice cannot (409 INVOICE_NOT_PAYABLE)', async () => {
    const failed = await localInvoice('inv-failed');
    await dbQuery(server(), `UPDATE billing_records SET status = 'failed', payment_failed_at = now() WHERE id = $1`, [failed.id]);
    const paid = okJson(await markPaid(admin.token, failed.id, { reason: 'Cheque' }), 'post', A.markPaid, 200);
    expect(paid).toMatchObject({ status: 'paid', amountPaid: STARTER_MONTHLY });

    const voided = await localInvoice('inv-void');
    await dbQuery(server(), `UPDATE billing_records SET status = 'void', voided_at = now() WHERE id = $1`, [voided.id]);
    problemOf(await markPaid(admin.token, voided.id, { reason: 'Cash' }), 'post', A.markPaid, 409, 'INVOICE_NOT_PAYABLE');
    expect((await stored(voided.id)).status).toBe('void');

    // An open invoice mirrored from Stripe: paid through Stripe only.
    const t = await newTenant(server(), 'inv-stripe');
    const ins = await dbQuery(
      server(),
      `INSERT INTO billing_records (organization_id, source, number, status, currency, period_start, period_end, subtotal_minor,
                                    total_minor, amount_due_minor, stripe_invoice_id, issued_at)
       VALUES ($1, 'stripe', $2, 'open', 'USD', now() - interval '1 month', now(), 2500, 2500, 2500, $3, now())
       RETURNING id::text AS id`,
      [t.orgId, `FAKE-${crypto.randomBytes(3).toString('hex')}`, `in_${crypto.randomBytes(7).toString('hex')}`],
    );
    const stripeId = ins.rows[0].id as string;
    problemOf(await markPaid(admin.token, stripeId, { reason: 'Cash' }), 'post', A.markPaid, 409, 'INVOICE_NOT_PAYABLE');
    expect((await stored(stripeId)).status).toBe('open');
    const audit = await dbQuery(
      server(),
      `SELECT target_id FROM audit_log WHERE action = 'admin.invoice.marked_paid' AND target_id = ANY($1) ORDER BY id`,
      [[failed.id, voided.id, stripeId]],
    );
    expect(audit.rows.map((x) => x.target_id)).toEqual([failed.id]);
  }, 60_000);
});
