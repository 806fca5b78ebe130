import { describe, it, expect, beforeAll } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { dbQuery, expectOk, expectProblem, expectValidationFailed, waitAudit, UUID_RE } from './auth-helpers.js';
import {
  KEYS,
  KEYS_ENV,
  createKey,
  createKeyRaw,
  expectKeyFormat,
  getKey,
  keyChecksum,
  newTenant,
  revokeKey,
  sha256,
  type Tenant,
} from './keys-helpers.js';

describe('POST /api/user/api-keys', () => {
  const server = useServer(KEYS_ENV);
  printLogsOnFailure();

  describe('201', () => {
    it('a live key by default: secret format with its CRC-32 checksum, prefix = first 16 characters, defaults', async () => {
      const t = await newTenant(server(), 'kc-201');
      const before = Date.now();
      const r = await createKeyRaw(server(), t.token, { name: 'Production' });
      const body = expectOk(r, 'post', KEYS, 201);
      const { key, secret } = body;
      expectKeyFormat(secret, 'live', key.prefix);
      expect(key.id).toMatch(UUID_RE);
      expect(key).toMatchObject({
        name: 'Production',
        environment: 'live',
        status: 'active',
        expiresAt: null,
        lastUsedAt: null,
        lastUsedIp: null,
        rateLimitPerMinute: null,
        metadata: {},
        rotatedFromId: null,
        graceEndsAt: null,
        revokedAt: null,
      });
      expect(Date.parse(key.createdAt)).toBeGreaterThanOrEqual(before - 5000);
      expect(Date.parse(key.createdAt)).toBeLessThanOrEqual(Date.now() + 5000);
      // Only the SHA-256 of the secret is stored; the display prefix is the first 16 characters.
      const row = await dbQuery(server(), `SELECT key_hash, prefix, organization_id FROM api_keys WHERE id = $1`, [key.id]);
      expect(row.rows.length).toBe(1);
      expect(Buffer.compare(row.rows[0].key_hash, sha256(secret))).toBe(0);
      expect(row.rows[0].prefix).toBe(secret.slice(0, 16));
      expect(row.rows[0].organization_id).toBe(t.orgId);
      // The secret is in this answer only.
      const again = await getKey(server(), t.token, key.id);
      expect(again.status).toBe(200);
      expect(again.text).not.toContain(secret);
      expect(again.text).not.toContain(secret.slice(16));
      expect(await waitAudit(server(), t.userId, 'api_key.created')).toContain('api_key.created');
    });

    it('a test key with every optional field', async () => {
      const t = await newTenant(server(), 'kc-201-all');
      const expiresAt = new Date(Date.now() + 30 * 86_400_000).toISOString();
      const metadata = { customer: 'acme', tier: 3, tags: ['a', 'b'], nested: { ok: true } };
      const { key, secret } = await createKey(server(), t.token, {
        name: 'Staging',
        environment: 'test',
        expiresAt,
        rateLimitPerMinute: 42,
        metadata,
      });
      expectKeyFormat(secret, 'test', key.prefix);
      expect(key.environment).toBe('test');
      expect(key.name).toBe('Staging');
      expect(Date.parse(key.expiresAt)).toBe(Date.parse(expiresAt));
      expect(key.rateLimitPerMinute).toBe(42);
      expect(key.metadata).toEqual(metadata);
      expect(key.status).toBe('active');
    });

    it('every secret is different and carries a valid checksum; a changed character breaks the checksum', async () => {
      const t = await newTenant(server(), 'kc-201-many');
      const a = await createKey(server(), t.token, { name: 'one' });
      const b = await createKey(server(), t.token, { name: 'two', environment: 'test' });
      expect(a.secret).not.toBe(b.secret);
      expect(a.key.id).not.toBe(b.key.id);
      for (const s of [a.secret, b.secret]) {
        expectKeyFormat(s, s.startsWith('tg_test_') ? 'test' : 'live');
        // Sanity of the checksum itself: flipping one random character changes the CRC.
        const body = s.slice(0, -6);
        const flipped = body.slice(0, 20) + (body[20] === 'a' ? 'b' : 'a') + body.slice(21);
        expect(keyChecksum(flipped)).not.toBe(s.slice(-6));
      }
    });

    it('a name of exactly 100 characters; expiresAt almost 5 years ahead', async () => {
      const t = await newTenant(server(), 'kc-201-edge');
      const { key } = await createKey(server(), t.token, {
        name: 'n'.repeat(100),
        expiresAt: new Date(Date.now() + 5 * 365 * 86_400_000 - 86_400_000).toISOString(),
      });
      expect(key.name.length).toBe(100);
    });
  });

  describe('403', () => {
    it('KEY_LIMIT_REACHED: the free plan allows 2 active keys; revoking one frees a slot', async () => {
      const t = await newTenant(server(), 'kc-403');
      const one = await createKey(server(), t.token, { name: 'one' });
      await createKey(server(), t.token, { name: 'two' });
      const r = await createKeyRaw(server(), t.token, { name: 'three' });
      expectProblem(r, 'post', KEYS, 403, 'KEY_LIMIT_REACHED');
      const count = await dbQuery(server(), `SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1`, [t.orgId]);
      expect(count.rows[0].n, 'the refused key was not stored').toBe(2);
      expect((await revokeKey(server(), t.token, one.key.id)).status).toBe(204);
      await createKey(server(), t.token, { name: 'three' });
    });
  });

  describe('400 / 415 / 401', () => {
    it('400 MALFORMED_JSON', async () => {
      const t = await newTenant(server(), 'kc-400');
      expectProblem(await createKeyRaw(server(), t.token, '{"name": "x"'), 'post', KEYS, 400, 'MALFORMED_JSON');
    });

    it('415 UNSUPPORTED_MEDIA_TYPE for text/plain', async () => {
      const t = await newTenant(server(), 'kc-415');
      const r = await createKeyRaw(server(), t.token, JSON.stringify({ name: 'x' }), { 'content-type': 'text/plain' });
      expectProblem(r, 'post', KEYS, 415, 'UNSUPPORTED_MEDIA_TYPE');
    });

    it('401 UNAUTHORIZED without a token or with a garbage token', async () => {
      expectProblem(await createKeyRaw(server(), undefined, { name: 'x' }), 'post', KEYS, 401, 'UNAUTHORIZED');
      expectProblem(await createKeyRaw(server(), 'not-a-jwt', { name: 'x' }), 'post', KEYS, 401, 'UNAUTHORIZED');
    });
  });

  describe('422 VALIDATION_FAILED', () => {
    let t: Tenant;
    beforeAll(async () => {
      t = await newTenant(server(), 'kc-422');
    });
    const cases: Array<[string, Record<string, unknown>, string]> = [
      ['name missing', {}, 'name'],
      ['name empty', { name: '' }, 'name'],
      ['name only spaces', { name: '   ' }, 'name'],
      ['name 101 characters', { name: 'x'.repeat(101) }, 'name'],
      ['name not a string', { name: 5 }, 'name'],
      ['environment prod', { name: 'x', environment: 'prod' }, 'environment'],
      ['expiresAt in the past', { name: 'x', expiresAt: new Date(Date.now() - 60_000).toISOString() }, 'expiresAt'],
      ['expiresAt more than 5 years ahead', { name: 'x', expiresAt: new Date(Date.now() + 6 * 365 * 86_400_000).toISOString() }, 'expiresAt'],
      ['expiresAt not a date', { name: 'x', expiresAt: 'tomorrow' }, 'expiresAt'],
      ['rateLimitPerMinute 0', { name: 'x', rateLimitPerMinute: 0 }, 'rateLimitPerMinute'],
      ['rateLimitPerMinute 1000001', { name: 'x', rateLimitPerMinute: 1_000_001 }, 'rateLimitPerMinute'],
      ['rateLimitPerMinute 1.5', { name: 'x', rateLimitPerMinute: 1.5 }, 'rateLimitPerMinute'],
      ['metadata an array', { name: 'x', metadata: [1, 2] }, 'metadata'],
      ['metadata a string', { name: 'x', metadata: 'meta' }, 'metadata'],
      ['metadata over 4 KiB', { name: 'x', metadata: { blob: 'y'.repeat(4200) } }, 'metadata'],
      ['unknown field', { name: 'x', scopes: ['all'] }, 'scopes'],
    ];
    for (const [what, body, field] of cases) {
      it(`${what} → errors[] names ${field}`, async () => {
        expectValidationFailed(await createKeyRaw(server(), t.token, body), KEYS, field);
        const n = await dbQuery(server(), `SELECT count(*)::int AS n FROM api_keys WHERE organization_id = $1`, [t.orgId]);
        expect(n.rows[0].n).toBe(0);
      });
    }
  });
});
