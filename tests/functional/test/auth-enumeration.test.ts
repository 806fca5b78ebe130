/**
 * Acceptance: no account enumeration. forgot-password, resend-verification and login answer byte-identically
 * (status, content type and body, with the requestId value blanked) for an existing and an unknown address.
 */
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import type { FetchResult } from '../harness/http.js';
import {
  bodyWithoutRequestId,
  login,
  mailEnv,
  postJson,
  registerAccount,
  uniqueEmail,
  useSmtpSink,
} from './auth-helpers.js';

function fingerprint(r: FetchResult): { status: number; contentType: string; body: string } {
  return { status: r.status, contentType: r.contentType, body: bodyWithoutRequestId(r) };
}

describe('no account enumeration', () => {
  const sink = useSmtpSink();
  const server = useServer(() => mailEnv(sink()));
  printLogsOnFailure();

  it('POST /api/auth/forgot-password: existing vs unknown address', async () => {
    const acct = await registerAccount(server(), {}, 'enum-fp');
    const known = await postJson(server(), '/api/auth/forgot-password', { email: acct.email });
    const unknown = await postJson(server(), '/api/auth/forgot-password', { email: uniqueEmail('enum-fp-nobody') });
    expect(known.status, known.text).toBe(202);
    expect(fingerprint(unknown)).toEqual(fingerprint(known));
  });

  it('POST /api/auth/resend-verification: existing (unverified) vs unknown address', async () => {
    const acct = await registerAccount(server(), {}, 'enum-rv');
    const known = await postJson(server(), '/api/auth/resend-verification', { email: acct.email });
    const unknown = await postJson(server(), '/api/auth/resend-verification', { email: uniqueEmail('enum-rv-nobody') });
    expect(known.status, known.text).toBe(202);
    expect(fingerprint(unknown)).toEqual(fingerprint(known));
  });

  it('POST /api/auth/login: existing address with a wrong password vs unknown address', async () => {
    const acct = await registerAccount(server(), {}, 'enum-login');
    const known = await login(server(), acct.email, 'not-the-password-123');
    const unknown = await login(server(), uniqueEmail('enum-login-nobody'), 'not-the-password-123');
    expect(known.status, known.text).toBe(401);
    expect(fingerprint(unknown)).toEqual(fingerprint(known));
    expect(known.json.requestId).not.toBe(unknown.json.requestId);
  });
});
