/**
 * Acceptance: no secret ends up in the server's logs (stdout/stderr and every file under LOG_DIR / VAR_DIR), in
 * audit_log or in email_outbox (nor anywhere else in the database). One server, mail through an SMTP sink (with
 * credentials in SMTP_URL), LOG_LEVEL=debug; a complete account flow with distinctive secrets.
 */
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { startServer, type TollgateServer } from '../harness/server.js';
import { startSmtpSink, linkToken, type SmtpSink } from '../harness/smtp.js';
import { totpDevice } from '../harness/totp.js';
import { printLogsOnFailure } from '../harness/vitest-helpers.js';
import {
  HIGH_IP_LIMIT,
  PUBLIC_URL,
  SUBJECTS,
  api,
  dbQuery,
  expectOk,
  login,
  loginChallenge,
  postJson,
  uniqueEmail,
  verifyMfa,
  waitOutboxSettled,
} from './auth-helpers.js';

const tag = () => crypto.randomBytes(6).toString('hex');

/** label → secret value. */
const secrets = new Map<string, string>();
/** Secrets of the server itself (not of a user); may legitimately sit in VAR_DIR/secrets.env. */
const serverSecretLabels = new Set<string>();

function keep(label: string, value: unknown): void {
  expect(typeof value, `${label} should be a string`).toBe('string');
  const v = value as string;
  expect(v.length, `${label} is suspiciously short`).toBeGreaterThanOrEqual(8);
  secrets.set(label, v);
}

/** Remembers an access/mfa token (JWT): the whole token and its signature segment. */
function keepJwt(label: string, token: unknown): void {
  keep(label, token);
  const parts = String(token).split('.');
  if (parts.length === 3 && parts[2]!.length >= 16) secrets.set(`${label} (signature segment)`, parts[2]!);
}

function keepAuth(label: string, auth: any): void {
  keepJwt(`${label}.accessToken`, auth.accessToken);
  keep(`${label}.refreshToken`, auth.refreshToken);
}

function readTree(dir: string, out: Array<{ file: string; text: string }>): void {
  if (!fs.existsSync(dir)) return;
  for (const ent of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, ent.name);
    if (ent.isDirectory()) readTree(p, out);
    else if (ent.isFile()) out.push({ file: p, text: fs.readFileSync(p).toString('latin1') });
  }
}

function findLeaks(where: string, text: string, skip: (label: string) => boolean = () => false): string[] {
  const leaks: string[] = [];
  const lower = text.toLowerCase();
  for (const [label, value] of secrets) {
    if (skip(label)) continue;
    const i = lower.indexOf(value.toLowerCase());
    if (i >= 0) leaks.push(`${label} in ${where}: …${text.slice(Math.max(0, i - 120), i + value.length + 40)}…`);
  }
  return leaks;
}

describe('secrets never reach logs, audit_log or email_outbox', () => {
  let sink: SmtpSink;
  let server: TollgateServer;
  printLogsOnFailure();

  beforeAll(async () => {
    sink = await startSmtpSink();
    const smtpPassword = `SmtpPass-${tag()}-x9`;
    const encryptionKey = `EncKey-${tag()}-${crypto.randomBytes(24).toString('hex')}`;
    const smtpUrl = `smtp://tg-smtp-user:${smtpPassword}@127.0.0.1:${sink.port}`;
    server = await startServer({ ...HIGH_IP_LIMIT, SMTP_URL: smtpUrl, PUBLIC_URL, ENCRYPTION_KEY: encryptionKey, LOG_LEVEL: 'debug' });
    keep('SMTP password (in SMTP_URL)', smtpPassword);
    keep('ENCRYPTION_KEY', encryptionKey);
    keep('JWT_SECRET', server.env.JWT_SECRET);
    serverSecretLabels.add('ENCRYPTION_KEY');
    serverSecretLabels.add('JWT_SECRET');
  });

  /** Texts collected before the server is stopped (stop() removes VAR_DIR). */
  let logText = '';
  let files: Array<{ file: string; text: string }> = [];
  let auditRows: string[] = [];
  let outboxRows: string[] = [];
  let otherTables: Array<{ table: string; text: string }> = [];

  afterAll(async () => {
    await server?.stop('SIGTERM');
    await sink?.close();
  });

  it('runs the whole account flow (register … change email) and collects logs and rows', { timeout: 150_000 }, async () => {
    const s = server;
    const email1 = uniqueEmail('secrets');
    const email2 = uniqueEmail('secrets-new');
    const p1 = `First-Pw-${tag()}-Q1!`;
    const p2 = `Second-Pw-${tag()}-Q2!`;
    const p3 = `Third-Pw-${tag()}-Q3!`;
    const wrong = `Wrong-Pw-${tag()}-Q0!`;
    keep('password 1', p1);
    keep('password 2', p2);
    keep('password 3', p3);
    keep('a wrong password tried at login', wrong);

    // Register (password 1) and verify the address.
    const reg = await postJson(s, '/api/auth/register', { email: email1, password: p1, name: 'Secret Keeper' });
    expect(reg.status, reg.text).toBe(201);
    keepAuth('register', reg.json);
    const t1 = linkToken(await sink.waitForMail({ to: email1, subject: SUBJECTS.verify }), '/verify-email', PUBLIC_URL);
    keep('email verification token', t1);
    expectOk(await postJson(s, '/api/auth/verify-email', { token: t1 }), 'post', '/api/auth/verify-email', 200);

    // A failed and a successful login.
    expect((await login(s, email1, wrong)).status).toBe(401);
    const l1 = await login(s, email1, p1);
    expect(l1.status, l1.text).toBe(200);
    keepAuth('login 1', l1.json);

    // 2FA: setup, enable with a TOTP code, recovery codes.
    const setup = expectOk(await api(s, 'post', '/api/user/2fa/setup', { token: l1.json.accessToken, body: { password: p1 } }), 'post', '/api/user/2fa/setup', 200);
    keep('TOTP secret', setup.secret);
    const uriSecret = new URL(setup.otpauthUri).searchParams.get('secret');
    expect(uriSecret).toBe(setup.secret);
    const dev = totpDevice(setup.secret);
    const en = expectOk(
      await api(s, 'post', '/api/user/2fa/enable', { token: l1.json.accessToken, body: { code: await dev.next() } }),
      'post',
      '/api/user/2fa/enable',
      200,
    );
    const codes: string[] = en.recoveryCodes;
    codes.forEach((c, i) => {
      keep(`recovery code ${i}`, c);
      secrets.set(`recovery code ${i} without hyphen`, c.replace(/-/g, ''));
    });

    // Login with TOTP.
    const m1 = await loginChallenge(s, email1, p1);
    keepJwt('mfaToken 1', m1);
    const v1 = expectOk(await verifyMfa(s, m1, await dev.next()), 'post', '/api/auth/2fa/verify', 200);
    keepAuth('2fa login (totp)', v1);

    // Login with a recovery code.
    const m2 = await loginChallenge(s, email1, p1);
    keepJwt('mfaToken 2', m2);
    const v2 = expectOk(await verifyMfa(s, m2, codes[0]!), 'post', '/api/auth/2fa/verify', 200);
    keepAuth('2fa login (recovery code)', v2);

    // A refresh.
    const rf = await postJson(s, '/api/auth/refresh', { refreshToken: v2.refreshToken });
    expect(rf.status, rf.text).toBe(200);
    keepAuth('refresh', rf.json);

    // Change password 1 → 2.
    expectOk(
      await api(s, 'post', '/api/user/password', { token: rf.json.accessToken, body: { currentPassword: p1, newPassword: p2 } }),
      'post',
      '/api/user/password',
      204,
    );

    // Forgot / reset: password 2 → 3.
    expect((await postJson(s, '/api/auth/forgot-password', { email: email1 })).status).toBe(202);
    const t2 = linkToken(await sink.waitForMail({ to: email1, subject: SUBJECTS.reset }), '/reset-password', PUBLIC_URL);
    keep('password reset token', t2);
    expectOk(await postJson(s, '/api/auth/reset-password', { token: t2, password: p3 }), 'post', '/api/auth/reset-password', 204);

    // Login with password 3 + TOTP (a third step: may wait for the clock).
    const m3 = await loginChallenge(s, email1, p3);
    keepJwt('mfaToken 3', m3);
    const v3 = expectOk(await verifyMfa(s, m3, await dev.next()), 'post', '/api/auth/2fa/verify', 200);
    keepAuth('2fa login after reset', v3);

    // Change the email address.
    expectOk(
      await api(s, 'post', '/api/user/email', { token: v3.accessToken, body: { password: p3, newEmail: email2 } }),
      'post',
      '/api/user/email',
      202,
    );
    const t3 = linkToken(await sink.waitForMail({ to: email2, subject: SUBJECTS.confirmNewEmail }), '/verify-email', PUBLIC_URL);
    keep('email change token', t3);
    const ve = expectOk(await postJson(s, '/api/auth/verify-email', { token: t3 }), 'post', '/api/auth/verify-email', 200);
    expect(ve.email).toBe(email2);

    // Every mail has gone out (the outbox rows are settled as sent) before anything is read.
    await sink.waitForMail({ to: email1, subject: SUBJECTS.emailChanging });
    await sink.waitForMail({ to: email1, subject: SUBJECTS.passwordChanged });
    const outbox = await waitOutboxSettled(s);
    expect(outbox.length).toBeGreaterThanOrEqual(6);
    expect(outbox.filter((r) => r.status !== 'sent'), 'every outbox row sent').toEqual([]);
    expect(sink.messages().some((m) => m.authUser === 'tg-smtp-user'), 'the SMTP credentials from SMTP_URL were used').toBe(true);

    // Database rows first (the database lives until stop()), then stop the process so that the log files are
    // complete (file logs may be buffered until exit), then read the output and every file under VAR_DIR/LOG_DIR.
    auditRows = (await dbQuery(s, 'SELECT a::text AS t FROM audit_log a ORDER BY id')).rows.map((r) => r.t);
    outboxRows = (await dbQuery(s, 'SELECT e::text AS t FROM email_outbox e ORDER BY created_at')).rows.map((r) => r.t);
    const tables = await dbQuery(
      s,
      `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'
        AND table_name NOT IN ('audit_log', 'email_outbox') ORDER BY 1`,
    );
    otherTables = [];
    for (const { table_name } of tables.rows) {
      const rows = await dbQuery(s, `SELECT t::text AS t FROM "${table_name}" t`);
      otherTables.push({ table: table_name, text: rows.rows.map((r) => r.t).join('\n') });
    }
    server.proc.kill('SIGTERM');
    const exit = await server.exited;
    expect(exit.code, 'clean exit on SIGTERM').toBe(0);
    logText = server.logs();
    files = [];
    readTree(server.env.VAR_DIR!, files);
    if (server.env.LOG_DIR && !path.resolve(server.env.LOG_DIR).startsWith(path.resolve(server.env.VAR_DIR!) + path.sep)) {
      readTree(server.env.LOG_DIR, files);
    }
    expect(logText.length).toBeGreaterThan(0);
    expect(auditRows.length).toBeGreaterThan(5);
    expect(secrets.size).toBeGreaterThanOrEqual(40);
  });

  it('no secret in the server output (stdout/stderr)', () => {
    expect(logText.length, 'the flow test did not run').toBeGreaterThan(0);
    expect(findLeaks('server output', logText)).toEqual([]);
  });

  it('no secret in any file under LOG_DIR / VAR_DIR', () => {
    expect(files.length, 'expected log files under LOG_DIR').toBeGreaterThan(0);
    // The files hold the same events as stdout (a sanity check that they were read complete).
    expect(files.some((f) => f.text.includes('auth.login') || f.text.includes('/api/auth/login')), 'log files mention the logins').toBe(true);
    const leaks = files.flatMap((f) =>
      findLeaks(f.file, f.text, (label) => path.basename(f.file) === 'secrets.env' && serverSecretLabels.has(label)),
    );
    expect(leaks).toEqual([]);
  });

  it('no secret in audit_log rows', () => {
    expect(auditRows.length).toBeGreaterThan(0);
    expect(findLeaks('audit_log', auditRows.join('\n'))).toEqual([]);
  });

  it('no secret in email_outbox rows (link tokens are stripped once sent)', () => {
    expect(outboxRows.length).toBeGreaterThan(0);
    expect(findLeaks('email_outbox', outboxRows.join('\n'))).toEqual([]);
  });

  it('no secret in any other table either (hashes and ciphertext only)', () => {
    expect(otherTables.length).toBeGreaterThan(0);
    expect(otherTables.flatMap((t) => findLeaks(`table ${t.table}`, t.text))).toEqual([]);
  });
});
