import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../harness/ports.js';
import { printLogsOnFailure, useServer } from '../harness/vitest-helpers.js';
import { HIGH_IP_LIMIT, PUBLIC_URL, SUBJECTS, dbQuery, registerAccount } from './auth-helpers.js';

// The SendGrid transport against a local stand-in for the v3 mail/send API: the request it builds, and the
// retry when the API fails.
interface Captured {
  authorization: string | undefined;
  body: any;
}

describe('mail transport: SendGrid', () => {
  const captured: Captured[] = [];
  let failuresLeft = 0;
  let port = 0;
  let api: http.Server;

  beforeAll(async () => {
    port = await freePort();
    api = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        if (failuresLeft > 0) {
          failuresLeft -= 1;
          res.writeHead(503, { 'content-type': 'application/json' }).end('{"errors":[{"message":"try later"}]}');
          return;
        }
        captured.push({ authorization: req.headers.authorization, body: JSON.parse(raw) });
        res.writeHead(202, { 'X-Message-Id': `sg-${captured.length}` }).end();
      });
    });
    await new Promise<void>((resolve) => api.listen(port, '127.0.0.1', resolve));
  });
  afterAll(() => new Promise<void>((resolve) => api.close(() => resolve())));

  const server = useServer(() => ({
    ...HIGH_IP_LIMIT,
    MAIL_TRANSPORT: 'sendgrid',
    SENDGRID_API_KEY: 'SG.functional-test-key',
    SENDGRID_API_URL: `http://127.0.0.1:${port}/v3/mail/send`,
    MAIL_FROM: 'Tollgate Test <no-reply@tollgate.test>',
    PUBLIC_URL,
  }));
  printLogsOnFailure();

  async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, ms = 20000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const v = await probe();
      if (v !== undefined) return v;
      if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  it('sends the verification mail as one v3 request with the key, sender, recipient, text and HTML', async () => {
    const acct = await registerAccount(server(), {}, 'sg');
    const req = await waitFor('the SendGrid request', () =>
      captured.find((c) => c.body.personalizations?.[0]?.to?.[0]?.email === acct.email),
    );
    expect(req.authorization).toBe('Bearer SG.functional-test-key');
    expect(req.body.from).toEqual({ email: 'no-reply@tollgate.test', name: 'Tollgate Test' });
    expect(req.body.subject).toBe(SUBJECTS.verify);
    const [text, html] = req.body.content;
    expect(text.type).toBe('text/plain');
    expect(text.value).toMatch(new RegExp(`^${PUBLIC_URL.replace(/[.]/g, '\\.')}/verify-email\\?token=[A-Za-z0-9_-]{43}$`, 'm'));
    expect(html.type).toBe('text/html');
    expect(html.value).toContain('/verify-email?token=');
    const row = await waitFor('the outbox row to be sent', async () => {
      const r = await dbQuery(server(), "SELECT status, transport, provider_message_id, payload FROM email_outbox WHERE to_email = $1", [acct.email]);
      return r.rows[0]?.status === 'sent' ? r.rows[0] : undefined;
    });
    expect(row.transport).toBe('sendgrid');
    expect(row.provider_message_id).toMatch(/^sg-\d+$/);
    expect(row.payload.token, 'the link token leaves the outbox once sent').toBeUndefined();
  });

  it('a failing API is retried by the job queue until the mail goes out (nothing is lost)', async () => {
    failuresLeft = 1;
    const acct = await registerAccount(server(), {}, 'sg-retry');
    const req = await waitFor(
      'the retried SendGrid request',
      () => captured.find((c) => c.body.personalizations?.[0]?.to?.[0]?.email === acct.email),
      30000,
    );
    expect(req.body.subject).toBe(SUBJECTS.verify);
    const r = await dbQuery(server(), 'SELECT status, attempts FROM email_outbox WHERE to_email = $1', [acct.email]);
    expect(r.rows[0].attempts).toBeGreaterThanOrEqual(2);
    expect(failuresLeft).toBe(0);
  }, 40000);
});
