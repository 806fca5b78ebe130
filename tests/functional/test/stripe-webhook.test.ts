/**
 * POST /api/stripe/webhook: the signature is checked on the raw body before anything else (`t` + any `v1`,
 * HMAC-SHA256, several secrets while rotating, 300 s tolerance); a verified event is stored once in
 * stripe_webhook_events (with its processing job) and acknowledged at once; a redelivery is acknowledged without a second row; nothing is
 * written for a refused delivery; deliveries are not limited per IP.
 */
import crypto from 'node:crypto';
import Stripe from 'stripe';
import { describe, it, expect } from 'vitest';
import { useServer, printLogsOnFailure } from '../harness/vitest-helpers.js';
import { request, type FetchResult } from '../harness/http.js';
import { expectProblemShape, validateResponse } from '../harness/openapi.js';
import { makeEvent, signPayload } from '../harness/fake-stripe.js';
import type { TollgateServer } from '../harness/server.js';
import { dbQuery } from './auth-helpers.js';

const PATH = '/api/stripe/webhook';
const SECRET = 'whsec_' + crypto.randomBytes(16).toString('hex');
const OLD_SECRET = 'whsec_' + crypto.randomBytes(16).toString('hex');
const stripe = new Stripe('sk_test_unused');

function post(s: TollgateServer, payload: string, signature?: string, headers: Record<string, string> = {}): Promise<FetchResult> {
  const h: Record<string, string> = { 'content-type': 'application/json', ...headers };
  if (signature !== undefined) h['stripe-signature'] = signature;
  return request(s.baseUrl + PATH, { method: 'POST', headers: h, body: payload });
}

function expectReceipt(r: FetchResult, id: string, duplicate: boolean): void {
  expect(r.status, r.text).toBe(200);
  validateResponse('post', PATH, 200, r.contentType, r.text);
  expect(r.json).toEqual({ received: true, id, duplicate });
}

function expectRefused(r: FetchResult, status: number, code: string): void {
  expect(r.status, r.text).toBe(status);
  const body = expectProblemShape(status, r.contentType, r.text);
  expect(body.code).toBe(code);
  validateResponse('post', PATH, status, r.contentType, r.text);
}

async function rows(s: TollgateServer, id: string): Promise<any[]> {
  return (await dbQuery(s, 'SELECT type, api_version, livemode, extract(epoch FROM stripe_created_at)::bigint::text AS created, status, payload FROM stripe_webhook_events WHERE stripe_event_id = $1', [id])).rows;
}

const newEvent = (type = 'invoice.paid') => makeEvent(type, { id: 'in_' + crypto.randomBytes(6).toString('hex'), object: 'invoice', amount_paid: 2900 });

describe('POST /api/stripe/webhook', () => {
  // Two secrets: the new one and the one being rotated out. A small per-IP limit shows the route is exempt.
  const server = useServer({ STRIPE_WEBHOOK_SECRET: `${SECRET}, ${OLD_SECRET}`, RATE_LIMIT_IP_MAX: '5' });
  const unconfigured = useServer({});
  printLogsOnFailure();

  describe('200', () => {
    it('a delivery signed by the stripe package is stored once, with its envelope, and acknowledged', async () => {
      const event = newEvent();
      const payload = JSON.stringify(event);
      const r = await post(server(), payload, stripe.webhooks.generateTestHeaderString({ payload, secret: SECRET }));
      expectReceipt(r, event.id, false);
      const stored = await rows(server(), event.id);
      expect(stored).toHaveLength(1);
      expect(stored[0]).toMatchObject({ type: 'invoice.paid', api_version: event.api_version, livemode: false, created: String(event.created) });
      // Stored, and queued for processing in the same statement (the job may already have run).
      expect(['received', 'processing', 'processed', 'ignored']).toContain(stored[0].status);
      const job = await dbQuery(server(), 'SELECT kind FROM jobs WHERE idempotency_key = $1', [`stripe.event:${event.id}`]);
      expect(job.rows).toEqual([{ kind: 'stripe.process_event' }]);
      expect(stored[0].payload).toEqual(event);
    });

    it('a secret being rotated out is still accepted', async () => {
      const event = newEvent('customer.updated');
      const payload = JSON.stringify(event);
      expectReceipt(await post(server(), payload, signPayload(payload, OLD_SECRET)), event.id, false);
    });

    it('the same event 3 times in sequence: one row; the redeliveries say duplicate', async () => {
      const event = newEvent();
      const payload = JSON.stringify(event);
      const receipts: boolean[] = [];
      for (let i = 0; i < 3; i++) {
        const r = await post(server(), payload, signPayload(payload, SECRET));
        expect(r.status).toBe(200);
        receipts.push(r.json.duplicate);
      }
      expect(receipts).toEqual([false, true, true]);
      expect(await rows(server(), event.id)).toHaveLength(1);
    });

    it('the same event 10 times at once: one row, exactly one receipt that is not a duplicate', async () => {
      const event = newEvent('customer.subscription.updated');
      const payload = JSON.stringify(event);
      const rs = await Promise.all(Array.from({ length: 10 }, () => post(server(), payload, signPayload(payload, SECRET))));
      expect(rs.map((r) => r.status)).toEqual(Array(10).fill(200));
      expect(rs.filter((r) => r.json.duplicate === false)).toHaveLength(1);
      expect(await rows(server(), event.id)).toHaveLength(1);
    });

    it('not limited per IP: 20 deliveries in a row with RATE_LIMIT_IP_MAX=5', async () => {
      for (let i = 0; i < 20; i++) {
        const event = newEvent();
        const payload = JSON.stringify(event);
        expectReceipt(await post(server(), payload, signPayload(payload, SECRET)), event.id, false);
      }
    });
  });

  describe('400 INVALID_SIGNATURE: nothing is written', () => {
    const event = newEvent();
    const payload = JSON.stringify(event);
    const now = () => Math.floor(Date.now() / 1000);
    const mac = (t: number, body: string, secret = SECRET) => crypto.createHmac('sha256', secret).update(`${t}.${body}`).digest('hex');
    const cases: Array<[string, () => string | undefined, string?]> = [
      ['no Stripe-Signature header', () => undefined],
      ['an empty header', () => ''],
      ['no t', () => `v1=${mac(now(), payload)}`],
      ['no v1', () => `t=${now()}`],
      ['only v0', () => `t=${now()},v0=${mac(now(), payload)}`],
      ['the wrong secret', () => signPayload(payload, 'whsec_wrong')],
      ['one changed body byte', () => signPayload(payload, SECRET), payload.replace('invoice.paid', 'invoice.paie')],
      ['a body with a trailing space', () => signPayload(payload, SECRET), payload + ' '],
      ['t 301 s old', () => signPayload(payload, SECRET, now() - 301)],
      ['t 301 s ahead', () => signPayload(payload, SECRET, now() + 301)],
      ['an oversized header', () => `${signPayload(payload, SECRET)},x=${'a'.repeat(5000)}`],
      ['a duplicated t', () => { const t = now(); return `t=${t},t=${t},v1=${mac(t, payload)}`; }],
      ['t not a number', () => `t=abc,v1=${mac(now(), payload)}`],
      ['a signature over another timestamp', () => `t=${now()},v1=${mac(now() - 10, payload)}`],
      ['a truncated signature', () => { const t = now(); return `t=${t},v1=${mac(t, payload).slice(0, 63)}`; }],
      ['an upper-case signature', () => { const t = now(); return `t=${t},v1=${mac(t, payload).toUpperCase()}`; }],
      ['a signature of the body alone', () => `t=${now()},v1=${crypto.createHmac('sha256', SECRET).update(payload).digest('hex')}`],
      ['semicolons instead of commas', () => { const t = now(); return `t=${t};v1=${mac(t, payload)}`; }],
      ['an empty v1', () => `t=${now()},v1=`],
      ['garbage', () => 'definitely not a signature'],
      ['the secret itself as the signature', () => `t=${now()},v1=${SECRET}`],
      ['a signature made with the test-mode v0 scheme only, twice', () => `t=${now()},v0=${mac(now(), payload)},v0=00`],
    ];
    for (const [name, header, body] of cases) {
      it(name, async () => {
        const r = await post(server(), body ?? payload, header());
        expectRefused(r, 400, 'INVALID_SIGNATURE');
        expect(r.text).not.toContain(mac(now(), payload));
      });
    }
    it('none of the refused deliveries left a row', async () => {
      expect(await rows(server(), event.id)).toHaveLength(0);
    });
  });

  describe('400 INVALID_WEBHOOK_EVENT: signed, but not an event', () => {
    for (const [name, payload] of [
      ['not JSON', 'not json at all'],
      ['a JSON array', '[1,2]'],
      ['no id', JSON.stringify({ object: 'event', type: 'invoice.paid' })],
      ['no type', JSON.stringify({ id: 'evt_notype', object: 'event' })],
      ['not an event object', JSON.stringify({ id: 'evt_notevent', object: 'invoice', type: 'invoice.paid' })],
    ] as const) {
      it(name, async () => {
        expectRefused(await post(server(), payload, signPayload(payload, SECRET)), 400, 'INVALID_WEBHOOK_EVENT');
      });
    }
  });

  it('413 PAYLOAD_TOO_LARGE: a body above BODY_LIMIT', async () => {
    const payload = JSON.stringify({ ...newEvent(), padding: 'x'.repeat(1100 * 1024) });
    expectRefused(await post(server(), payload, signPayload(payload, SECRET)), 413, 'PAYLOAD_TOO_LARGE');
  });

  it('503 WEBHOOKS_NOT_CONFIGURED: no STRIPE_WEBHOOK_SECRET', async () => {
    const event = newEvent();
    const payload = JSON.stringify(event);
    expectRefused(await post(unconfigured(), payload, signPayload(payload, SECRET)), 503, 'WEBHOOKS_NOT_CONFIGURED');
    expect(await rows(unconfigured(), event.id)).toHaveLength(0);
  });

  it('the secrets never reach the logs', () => {
    expect(server().logs()).not.toContain(SECRET);
    expect(server().logs()).not.toContain(OLD_SECRET);
  });
});
