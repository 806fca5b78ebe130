import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The functional tests' fake Stripe (tests/functional/harness/fake-stripe.ts), run inside this test process.
 *
 * It is loaded at run time, by path, on purpose: a static import would pull the file into web's `tsc --noEmit`
 * (part of `npm run build`), whose stricter settings (noUncheckedIndexedAccess) it was not written for. The fake
 * imports the `stripe` package, which web does not depend on: Vite resolves it from the fake's own directory, i.e.
 * tests/functional/node_modules (installed by `scripts/deps.sh --test`, which `make test` runs).
 *
 * Only the part of its interface these tests use is declared here.
 */

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StripeObject = { object: string; [key: string]: any };

export interface FakeStripe {
  /** `http://127.0.0.1:<port>`: the server's STRIPE_API_BASE, and where the browser "pays" (GET /checkout/<id>). */
  url: string;
  /** Where completed checkouts POST their signed webhooks. */
  webhookUrl: string | undefined;
  webhookSecret: string;
  readonly requests: { method: string; path: string }[];
  requestsTo(method: string, pathPrefix: string): { method: string; path: string }[];
  readonly state: {
    checkoutSessions: ReadonlyMap<string, StripeObject>;
    subscriptions: ReadonlyMap<string, StripeObject>;
    invoices: ReadonlyMap<string, StripeObject>;
  };
  readonly deliveries: { event: { type: string }; url: string; status?: number; body?: string; error?: string }[];
  close(): Promise<void>;
}

interface FakeStripeModule {
  startFakeStripe(opts?: { webhookUrl?: string; webhookSecret?: string; apiWebhooks?: boolean }): Promise<FakeStripe>;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const functionalDir = path.resolve(here, '../../tests/functional');
export const FAKE_STRIPE_PATH = path.join(functionalDir, 'harness/fake-stripe.ts');

export async function startFakeStripe(opts: { webhookSecret?: string } = {}): Promise<FakeStripe> {
  if (!existsSync(FAKE_STRIPE_PATH)) throw new Error(`The fake Stripe is missing: ${FAKE_STRIPE_PATH}`);
  if (!existsSync(path.join(functionalDir, 'node_modules/stripe/package.json'))) {
    throw new Error(
      `The fake Stripe needs tests/functional's npm packages (stripe): run scripts/deps.sh --test (or npm ci in ${functionalDir}).`,
    );
  }
  const specifier: string = FAKE_STRIPE_PATH;
  const mod = (await import(/* @vite-ignore */ specifier)) as FakeStripeModule;
  return mod.startFakeStripe({ webhookSecret: opts.webhookSecret });
}
