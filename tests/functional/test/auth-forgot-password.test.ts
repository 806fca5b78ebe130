import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { linkToken } from '../harness/smtp.js';
import type { FetchResult } from '../harness/http.js';
import { validateResponse, expectProblemShape } from '../harness/openapi.js';
import {
  PUBLIC_URL,
  SUBJECTS,
  bodyWithoutRequestId,
  expectOk,
  expectProblem,
  expectValidationFailed,
  mailEnv,
  postJson,
  registerAccount,
  uniqueEmail,
  useSmtpSink,
  waitAudit,
} from './auth-helpers.js';

const PATH = '/api/auth/forgot-password' as const;

describe('POST /api/auth/forgot-password', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  const forgot = (email: unknown) => postJson(server(), PATH, { email });

  function expect202(r: FetchResult): any {
    const b = expectOk(r, 'post', PATH, 202);
    expect(typeof b.message).toBe('string');
    return b;
  }

  function expectRateLimited(r: FetchResult): void {
    expect(r.status, r.text).toBe(429);
    const body = expectProblemShape(429, r.contentType, r.text);
    expect(body.code).toBe('RATE_LIMITED');
    const ra = Number(r.headers.get('retry-after'));
    expect(Number.isInteger(ra) && ra > 0, `Retry-After=${r.headers.get('retry-after')}`).toBe(true);
    validateResponse('post', PATH, 429, r.contentType, r.text);
  }

  it('202 for an account: a "Reset your password" mail with a {PUBLIC_URL}/reset-password?token= link that resets', async () => {
    const acct = await registerAccount(server(), {}, 'fp-ok');
    expect202(await forgot(acct.email));
    const mail = await sink().waitForMail({ to: acct.email, subject: SUBJECTS.reset });
    const token = linkToken(mail, '/reset-password', PUBLIC_URL);
    expect(token.length).toBeGreaterThanOrEqual(20);
    const r = await postJson(server(), '/api/auth/reset-password', { token, password: 'Brand-new-Passw0rd!' });
    expect(r.status, r.text).toBe(204);
    expect(await waitAudit(server(), acct.result.user.id, 'auth.password.reset_requested')).toContain('auth.password.reset_requested');
  });

  it('202: the address is matched case-insensitively', async () => {
    const acct = await registerAccount(server(), {}, 'fp-case');
    expect202(await forgot(acct.email.toUpperCase()));
    await sink().waitForMail({ to: acct.email, subject: SUBJECTS.reset });
  });

  it('202 with the same body for an unknown address, and no mail is sent to it', async () => {
    const acct = await registerAccount(server(), {}, 'fp-same');
    const unknownEmail = uniqueEmail('fp-nobody');
    const mark = sink().messages().length;
    const known = await forgot(acct.email);
    const unknown = await forgot(unknownEmail);
    expect202(known);
    expect202(unknown);
    expect(bodyWithoutRequestId(unknown)).toBe(bodyWithoutRequestId(known));
    expect(unknown.contentType).toBe(known.contentType);
    await sink().waitForMail({ to: acct.email, subject: SUBJECTS.reset });
    await sink().expectNoMail({ to: unknownEmail }, 2500, mark);
  });

  it('429 RATE_LIMITED after 3 requests for one address in 15 minutes — for an unknown address too; other addresses unaffected', async () => {
    const acct = await registerAccount(server(), {}, 'fp-limit');
    const unknownEmail = uniqueEmail('fp-limit-nobody');
    for (let i = 0; i < 3; i++) {
      expect202(await forgot(acct.email));
      expect202(await forgot(unknownEmail));
    }
    expectRateLimited(await forgot(acct.email));
    expectRateLimited(await forgot(unknownEmail));
    expectRateLimited(await forgot(acct.email.toUpperCase()));
    expect202(await forgot(uniqueEmail('fp-limit-other')));
    // Exactly the 3 accepted requests produced mails.
    await new Promise((r) => setTimeout(r, 2500));
    expect(sink().matching({ to: acct.email, subject: SUBJECTS.reset }).length).toBe(3);
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    it('missing email', async () => {
      expectValidationFailed(await postJson(server(), PATH, {}), PATH, 'email');
    });
    it('email not a string', async () => {
      expectValidationFailed(await forgot(['a@example.com']), PATH, 'email');
      expectValidationFailed(await forgot(7), PATH, 'email');
    });
    it('unknown field', async () => {
      expectValidationFailed(await postJson(server(), PATH, { email: uniqueEmail('x'), password: 'x' }), PATH, 'password');
    });
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"email"'), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
