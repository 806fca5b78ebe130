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
} from './auth-helpers.js';

const PATH = '/api/auth/resend-verification' as const;

describe('POST /api/auth/resend-verification', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  const resend = (email: unknown) => postJson(server(), PATH, { email });

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
    expect(ra).toBeLessThanOrEqual(15 * 60 * 2);
    validateResponse('post', PATH, 429, r.contentType, r.text);
  }

  it('202 for an unverified account: a new verification mail arrives, and its link verifies', async () => {
    const acct = await registerAccount(server(), {}, 'rs-ok');
    await sink().waitForMail({ to: acct.email, subject: SUBJECTS.verify }); // the registration's mail
    expect202(await resend(acct.email));
    const mail = await sink().waitForMail({ to: acct.email, subject: SUBJECTS.verify });
    const token = linkToken(mail, '/verify-email', PUBLIC_URL);
    const v = await postJson(server(), '/api/auth/verify-email', { token });
    expect(v.status, v.text).toBe(200);
    expect(v.json.email).toBe(acct.email);
  });

  it('202 with the same body for unknown, unverified and verified addresses; no mail for unknown or verified ones', async () => {
    const unverified = await registerAccount(server(), {}, 'rs-same-u');
    const verified = await registerAccount(server(), {}, 'rs-same-v');
    const vm = await sink().waitForMail({ to: verified.email, subject: SUBJECTS.verify });
    const v = await postJson(server(), '/api/auth/verify-email', { token: linkToken(vm, '/verify-email', PUBLIC_URL) });
    expect(v.status, v.text).toBe(200);
    await sink().waitForMail({ to: unverified.email, subject: SUBJECTS.verify });
    const unknownEmail = uniqueEmail('rs-same-nobody');

    const mark = sink().messages().length;
    const rUnknown = await resend(unknownEmail);
    const rUnverified = await resend(unverified.email);
    const rVerified = await resend(verified.email);
    for (const r of [rUnknown, rUnverified, rVerified]) expect202(r);
    expect(bodyWithoutRequestId(rUnknown)).toBe(bodyWithoutRequestId(rUnverified));
    expect(bodyWithoutRequestId(rVerified)).toBe(bodyWithoutRequestId(rUnverified));
    expect(rUnknown.contentType).toBe(rUnverified.contentType);
    expect(rVerified.contentType).toBe(rUnverified.contentType);

    await sink().waitForMail({ to: unverified.email, subject: SUBJECTS.verify });
    await sink().expectNoMail({ to: unknownEmail }, 2500, mark);
    await sink().expectNoMail({ to: verified.email }, 0, mark);
  });

  it('429 RATE_LIMITED after 3 requests for one address in 15 minutes — for an unknown address too; other addresses unaffected', async () => {
    const acct = await registerAccount(server(), {}, 'rs-limit');
    const unknownEmail = uniqueEmail('rs-limit-nobody');
    for (let i = 0; i < 3; i++) {
      expect202(await resend(acct.email));
      expect202(await resend(unknownEmail));
    }
    expectRateLimited(await resend(acct.email));
    expectRateLimited(await resend(unknownEmail));
    // The limit is per address and case-insensitive.
    expectRateLimited(await resend(acct.email.toUpperCase()));
    expect202(await resend(uniqueEmail('rs-limit-other')));
  });

  describe('422 VALIDATION_FAILED naming the field', () => {
    it('missing email', async () => {
      expectValidationFailed(await postJson(server(), PATH, {}), PATH, 'email');
    });
    it('email not a string', async () => {
      expectValidationFailed(await resend(42), PATH, 'email');
      expectValidationFailed(await resend(null), PATH, 'email');
    });
    it('unknown field', async () => {
      expectValidationFailed(await postJson(server(), PATH, { email: uniqueEmail('x'), redirect: 'https://evil.example' }), PATH, 'redirect');
    });
  });

  it('400: malformed JSON → MALFORMED_JSON', async () => {
    expectProblem(await postJson(server(), PATH, '{"email": '), 'post', PATH, 400, 'MALFORMED_JSON');
  });
});
