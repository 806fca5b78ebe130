import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, type Browser } from './browser';
import { smtpPort, startMailSink, type MailSink } from './mail-sink';
import { currentStep, totp } from './totp';
import { ownServerConfig, startOwnServer, type OwnServer } from './tollgate-server';

/**
 * The admin area, in the browser: an administrator signs in with password + TOTP code, suspends a customer (whose
 * API key is then refused by the gateway within a second), reactivates them, edits a plan, and finds all of it in
 * the audit log. The test edits the plan catalog and needs an administrator, so it runs a server of its own (fresh
 * database, `tollgate create-admin`) rather than the shared E2E server.
 */

const { config, missing } = ownServerConfig();
if (!config) console.warn(`admin e2e skipped: ${missing.join('; ')}`);

const stamp = `${Date.now()}-${process.pid}`;
const admin = { email: `e2e-admin-${stamp}@example.com`, password: 'admin password for e2e 42' };
const customer = { email: `e2e-customer-${stamp}@example.com`, password: 'correct horse battery staple 42', name: 'Mary Jackson' };
const suspendReason = `Abuse report #${process.pid}: scraping from many IPs`;
const reactivateReason = `Ticket ${process.pid}: customer fixed their client`;
/** The seeded Pro plan (migrations/0006_seed_plans.sql) and what the admin changes on it. */
const PLAN = { name: 'Pro', newName: 'Pro Plus', rate: '300', newRate: '450' };

let server: OwnServer;
let apiKey = '';
let customerId = '';
let totpSecret = '';
/** The TOTP step whose code turned two-factor on: that code is spent (replay guard), a later step's is not. */
let enabledAtStep = 0;

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` passes; the last error is rethrown. */
async function until<T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms${last ? ` (${String(last)})` : ''}`);
    await sleep(everyMs);
  }
}

async function json<T>(r: Response, what: string): Promise<T> {
  const text = await r.text();
  if (!r.ok) throw new Error(`${what}: ${r.status} ${text.slice(0, 500)}`);
  return JSON.parse(text) as T;
}

function post(path: string, body: unknown, token?: string): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

/** One gateway call with the customer's key: "200", or "<status> <problem code>". */
async function echo(key: string, tag: string): Promise<string> {
  const r = await fetch(`${server.baseUrl}/gw/echo/${tag}`, { headers: { 'X-API-Key': key }, signal: AbortSignal.timeout(5_000) });
  const body = (await r.json().catch(() => ({}))) as { code?: string };
  return r.status === 200 ? '200' : `${r.status} ${body.code ?? ''}`.trim();
}

/**
 * Calls /gw/echo back to back (every ~25 ms) until the answer satisfies `done`; returns it and the milliseconds from
 * `since` (the moment the admin's change was confirmed) to the request that got it.
 */
async function pollEcho(done: (answer: string) => boolean, since: number, timeoutMs: number, tag: string) {
  const seen: string[] = [];
  for (;;) {
    const sentAt = Date.now();
    const answer = await echo(apiKey, tag);
    if (seen[seen.length - 1] !== answer) seen.push(answer);
    if (done(answer)) return { answer, ms: sentAt - since, seen };
    if (Date.now() - since > timeoutMs) return { answer, ms: -1, seen };
    await sleep(25);
  }
}

/** The own server's output for a failure report, without the static-file and readiness request lines. */
function serverLog(): string {
  const lines = (server?.logs() ?? '').split('\n').filter((l) => !l.includes('"route":"static"') && !l.includes('"path":"/readyz"'));
  return lines.join('\n').slice(-20_000);
}

/** Horizontal overflow of the page, in CSS pixels (0 or less: it fits). */
function overflow(page: Page): Promise<number> {
  return page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
}

function adminNav(page: Page, name: string): Locator {
  return page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });
}

/**
 * Setup through the API: the customer (registered, verified from the mail, with a key), and two-factor
 * authentication for the administrator made by `tollgate create-admin` (the admin API requires it).
 */
async function setUp(mail: MailSink) {
  const reg = await json<{ user: { id: string }; accessToken: string }>(
    await post('/api/auth/register', { email: customer.email, password: customer.password, name: customer.name }),
    'customer registration',
  );
  customerId = reg.user.id;
  const message = await mail.waitFor(customer.email, 'Verify your email address');
  const token = /\/verify-email\?token=([A-Za-z0-9_-]+)/.exec(message.text)?.[1];
  if (!token) throw new Error(`no verification link in: ${message.text}`);
  await json(await post('/api/auth/verify-email', { token }), 'customer email verification');
  // A generous per-key limit: the polling below must never meet the Free plan's 10 requests per minute.
  const key = await json<{ secret: string }>(
    await post('/api/user/api-keys', { name: `Admin e2e ${process.pid}`, rateLimitPerMinute: 6000 }, reg.accessToken),
    'customer key',
  );
  apiKey = key.secret;

  const login = await json<{ accessToken: string }>(await post('/api/auth/login', admin), 'admin sign-in (before 2FA)');
  const setup = await json<{ secret: string }>(await post('/api/user/2fa/setup', { password: admin.password }, login.accessToken), 'admin 2FA setup');
  totpSecret = setup.secret;
  enabledAtStep = currentStep();
  await json(await post('/api/user/2fa/enable', { code: totp(totpSecret, enabledAtStep) }, login.accessToken), 'admin 2FA enable');
}

describe.skipIf(!config)('admin: 2FA sign-in, suspend and reactivate a customer, edit a plan, read the audit log', () => {
  let browser: Browser;
  let mail: MailSink;
  let page: Page;
  const pageErrors: string[] = [];
  const timings: Record<string, number> = {};

  beforeAll(async () => {
    if (!config) return;
    mail = await startMailSink(smtpPort());
    server = await startOwnServer(config, { admin, env: () => ({ SMTP_URL: `smtp://127.0.0.1:${smtpPort()}` }) });
    try {
      // The gateway's endpoint catalog loads in the background after start-up.
      await until(
        'the gateway catalog serving /gw/echo',
        async () => ((await fetch(`${server.baseUrl}/gw/echo`)).status === 401 ? true : undefined),
        30_000,
      );
      await setUp(mail);
    } catch (err) {
      console.error(`--- tollgate (own server) ---\n${serverLog()}`);
      throw err;
    }
    browser = await launchBrowser(undefined, { locale: 'en-US' });
    page = await browser.context.newPage();
    page.setDefaultTimeout(30_000);
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    console.error(`--- tollgate (own server) ---\n${serverLog()}`);
  });

  afterAll(async () => {
    if (Object.keys(timings).length > 0) console.log(`admin e2e timings (ms): ${JSON.stringify(timings)}`);
    await browser?.close();
    await server?.stop();
    await mail?.close();
  });

  it('the customer’s key works on /gw/echo', async () => {
    expect(apiKey).toMatch(/^tg_live_/);
    expect(await echo(apiKey, 'before')).toBe('200');
  });

  it('the administrator signs in with password and TOTP code and opens Admin → Users', async () => {
    await page.goto(`${server.baseUrl}/login`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    await page.getByLabel('Email').fill(admin.email);
    await page.getByLabel('Password', { exact: true }).fill(admin.password);
    await page.getByRole('button', { name: 'Sign in', exact: true }).click();

    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    // The enabling code is spent; the next step's code is accepted (±1 step) until the clock passes it.
    await page.getByLabel('Authentication code').fill(totp(totpSecret, Math.max(currentStep(), enabledAtStep + 1)));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();
    await page.waitForURL(/\/dashboard$/);

    // Administrators see an Admin entry in the dashboard menu.
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Admin', exact: true }).click();
    await page.waitForURL(/\/admin\/users$/);
    await page.getByTestId('admin-marker').waitFor();
    await page.getByRole('heading', { name: 'Users', level: 1 }).waitFor();
    // The list loaded: the admin API accepted this session (a session without 2FA gets ADMIN_2FA_REQUIRED).
    await page.getByTestId('admin-users').waitFor();
    expect(await page.getByTestId('admin-2fa-required').count()).toBe(0);
  });

  it('finds the customer, suspends them with a reason: their key is refused within a second', async () => {
    await page.getByRole('search', { name: 'Filter users' }).getByLabel('Search').fill(customer.email);
    await page.waitForURL((url) => url.searchParams.get('q') === customer.email);
    const rows = page.getByTestId('admin-user');
    await until('the users list filtered to the customer', async () => ((await rows.count()) === 1 ? true : undefined), 15_000);
    const row = rows.filter({ hasText: customer.email });
    await row.getByText('Active', { exact: true }).waitFor();
    await row.getByRole('link', { name: customer.name }).click();

    await page.waitForURL((url) => url.pathname === `/admin/users/${customerId}`);
    const drawer = page.getByRole('dialog', { name: customer.name });
    await drawer.getByRole('group', { name: 'Actions' }).waitFor();
    await drawer.getByText(customer.email).first().waitFor();
    // Their key shows in the drawer.
    await drawer.getByRole('table', { name: /API keys in their organizations/ }).getByText('active').waitFor();

    await drawer.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Suspend', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: `Suspend ${customer.name}?` });
    await confirm.getByText('are refused').waitFor();
    // The reason is required.
    await confirm.getByRole('button', { name: 'Suspend user' }).click();
    await confirm.getByText('Say why: the reason is kept in the audit log.').waitFor();
    await confirm.getByLabel('Reason').fill(suspendReason);

    // A call just before: the gateway has the key freshly cached as valid (its cache keeps entries 5 s), so a
    // refusal within the second comes from the suspension reaching the cache, not from the entry expiring.
    expect(await echo(apiKey, 'before-suspend')).toBe('200');
    const suspended = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/admin/users/${customerId}/suspend`,
    );
    const clickedAt = Date.now();
    await confirm.getByRole('button', { name: 'Suspend user' }).click();
    const response = await suspended;
    const at = Date.now();
    expect(response.status()).toBe(200);
    timings.suspendRequest = at - clickedAt;

    // From the moment the suspension is confirmed, the customer's key must be refused within one second.
    const refusal = await pollEcho((a) => a !== '200', at, 1_000, 'after-suspend');
    timings.suspendToRefusal = refusal.ms;
    expect(refusal.answer, `answers seen: ${refusal.seen.join(' → ')}`).toBe('403 API_KEY_DISABLED');
    expect(refusal.ms, 'ms from the suspension to the first refused call').toBeGreaterThanOrEqual(0);
    expect(refusal.ms).toBeLessThan(1_000);

    await confirm.waitFor({ state: 'detached' });
    await drawer.getByText(`Suspended ${customer.name}. Their sessions have ended.`).waitFor();
    await drawer.getByText(`Reason: ${suspendReason}`).waitFor();
    await drawer.getByText('Suspended', { exact: true }).first().waitFor();
    expect(await drawer.getByRole('button', { name: 'Suspend', exact: true }).count()).toBe(0);
    // …and stays refused.
    expect(await echo(apiKey, 'still-suspended')).toBe('403 API_KEY_DISABLED');
  });

  it('reactivates them with a reason: the key works again within a couple of seconds', async () => {
    const drawer = page.getByRole('dialog', { name: customer.name });
    await drawer.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Reactivate', exact: true }).click();
    const confirm = page.getByRole('dialog', { name: `Reactivate ${customer.name}?` });
    await confirm.getByLabel('Reason').fill(reactivateReason);
    const reactivated = page.waitForResponse(
      (r) => r.request().method() === 'POST' && new URL(r.url()).pathname === `/api/admin/users/${customerId}/reactivate`,
    );
    await confirm.getByRole('button', { name: 'Reactivate user' }).click();
    expect((await reactivated).status()).toBe(200);
    const at = Date.now();

    const back = await pollEcho((a) => a === '200', at, 2_000, 'after-reactivate');
    timings.reactivateToSuccess = back.ms;
    expect(back.answer, `answers seen: ${back.seen.join(' → ')}`).toBe('200');
    expect(back.ms).toBeGreaterThanOrEqual(0);
    expect(back.ms).toBeLessThan(2_000);

    await confirm.waitFor({ state: 'detached' });
    await drawer.getByText(`${customer.name} is active again.`).waitFor();
    await drawer.getByRole('group', { name: 'Actions' }).getByRole('button', { name: 'Suspend', exact: true }).waitFor();
    expect(await drawer.getByText(/^Reason: /).count()).toBe(0);
    // The drawer's recent activity lists both actions with their reasons.
    const activity = drawer.getByRole('region', { name: 'Recent activity' });
    await activity.getByText('admin.user.reactivated').waitFor();
    expect(await activity.textContent()).toContain(`“${suspendReason}”`);
    expect(await activity.textContent()).toContain(`“${reactivateReason}”`);

    await drawer.getByRole('button', { name: 'Close' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/users');
    await page.getByTestId('admin-user').filter({ hasText: customer.email }).getByText('Active', { exact: true }).waitFor();
  });

  it('edits a plan in Admin → Plans: the list shows the change', async () => {
    await adminNav(page, 'Plans').click();
    await page.waitForURL(/\/admin\/plans$/);
    await page.getByRole('heading', { name: 'Plans', level: 1 }).waitFor();
    const table = page.getByTestId('admin-plans');
    await table.waitFor();
    expect(await table.getByTestId('admin-plan').filter({ hasText: PLAN.newName }).count()).toBe(0);

    await page.getByRole('button', { name: `Edit ${PLAN.name}`, exact: true }).click();
    const dialog = page.getByRole('dialog', { name: `Edit ${PLAN.name}` });
    const name = dialog.getByLabel('Name', { exact: true });
    const rate = dialog.getByLabel('Rate limit per minute');
    expect(await name.inputValue()).toBe(PLAN.name);
    expect(await rate.inputValue()).toBe(PLAN.rate);
    await name.fill(PLAN.newName);
    await rate.fill(PLAN.newRate);

    const saved = page.waitForResponse((r) => r.request().method() === 'PATCH' && new URL(r.url()).pathname.startsWith('/api/admin/plans/'));
    await dialog.getByRole('button', { name: 'Save changes' }).click();
    expect((await saved).status()).toBe(200);
    await dialog.waitFor({ state: 'detached' });
    await page.getByText(`Saved ${PLAN.newName}.`).waitFor();

    // The list shows the new name (in the Pro row, by its slug)…
    const row = table.getByTestId('admin-plan').filter({ has: page.locator('code', { hasText: /^pro$/ }) });
    await row.getByText(PLAN.newName, { exact: true }).waitFor();
    expect(await table.getByRole('button', { name: `Edit ${PLAN.name}`, exact: true }).count()).toBe(0);
    // …and the form, opened again, the new limit.
    await row.getByRole('button', { name: `Edit ${PLAN.newName}` }).click();
    const again = page.getByRole('dialog', { name: `Edit ${PLAN.newName}` });
    expect(await again.getByLabel('Rate limit per minute').inputValue()).toBe(PLAN.newRate);
    await again.getByRole('button', { name: 'Cancel' }).click();
    await again.waitFor({ state: 'detached' });
  });

  it('finds the suspension, the reactivation and the plan edit in Admin → Audit log, with the reasons', async () => {
    await adminNav(page, 'Audit log').click();
    await page.waitForURL(/\/admin\/audit$/);
    await page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor();
    await page.getByTestId('audit-log').waitFor();

    const filters = page.getByRole('form', { name: 'Filter the audit log' });
    await filters.getByLabel('Action').fill('admin.');
    await filters.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL((url) => url.searchParams.get('action') === 'admin.');

    const entries = page.getByTestId('audit-entry');
    const entry = (action: string) => entries.filter({ has: page.locator('td[data-label="Action"] code', { hasText: new RegExp(`^${action.replace(/\./g, '\\.')}$`) }) });
    await until(
      'the filtered audit log',
      async () => {
        const actions = await entries.locator('td[data-label="Action"] > .cell > code').allTextContents();
        return actions.length > 0 && actions.every((a) => a.startsWith('admin.')) ? true : undefined;
      },
      15_000,
    );
    for (const action of ['admin.user.suspended', 'admin.user.reactivated', 'admin.plan.updated']) {
      await until(`${action} listed`, async () => ((await entry(action).count()) === 1 ? true : undefined), 15_000);
    }
    // Newest first.
    const actions = await entries.locator('td[data-label="Action"] > .cell > code').allTextContents();
    expect(actions.indexOf('admin.plan.updated')).toBeLessThan(actions.indexOf('admin.user.reactivated'));
    expect(actions.indexOf('admin.user.reactivated')).toBeLessThan(actions.indexOf('admin.user.suspended'));

    const cell = (row: Locator, label: string) => row.locator(`td[data-label="${label}"]`);
    const suspendedRow = entry('admin.user.suspended');
    expect((await cell(suspendedRow, 'Reason').textContent())?.trim()).toBe(suspendReason);
    expect(await cell(suspendedRow, 'Actor').textContent()).toContain(admin.email);
    expect(await cell(suspendedRow, 'Target').textContent()).toContain(`user ${customerId.slice(0, 8)}…`);
    expect((await cell(suspendedRow, 'Outcome').textContent())?.trim()).toBe('success');

    const reactivatedRow = entry('admin.user.reactivated');
    expect((await cell(reactivatedRow, 'Reason').textContent())?.trim()).toBe(reactivateReason);
    expect(await cell(reactivatedRow, 'Actor').textContent()).toContain(admin.email);
    expect(await cell(reactivatedRow, 'Target').textContent()).toContain(`user ${customerId.slice(0, 8)}…`);

    // The plan edit (the plan form asks for no reason) names the plan and what changed.
    const planRow = entry('admin.plan.updated');
    expect(await cell(planRow, 'Actor').textContent()).toContain(admin.email);
    expect(await cell(planRow, 'Target').textContent()).toMatch(/^plan [0-9a-f]{8}-/);
    await planRow.getByText('Details').click();
    const metadata = planRow.locator('pre');
    await metadata.waitFor();
    const changed = (JSON.parse((await metadata.textContent()) ?? '{}') as { changed?: string[] }).changed ?? [];
    expect([...changed].sort()).toEqual(['name', 'rateLimitPerMinute']);

    // The suspension's details: how many sessions it ended.
    await suspendedRow.getByText('Details').click();
    expect(await suspendedRow.locator('pre').textContent()).toContain('"sessionsRevoked"');
  });

  it('fits a 375 px wide screen on the Users page, the drawer included, with no page errors', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    // A full page load: the session comes back through the refresh cookie, still counted as 2FA-verified.
    await page.goto(`${server.baseUrl}/admin/users?q=${encodeURIComponent(customer.email)}`, { waitUntil: 'domcontentloaded' });
    const row = page.getByTestId('admin-user').filter({ hasText: customer.email });
    await row.waitFor();
    await page.getByTestId('admin-marker').waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);

    await row.getByRole('link', { name: customer.name }).click();
    const drawer = page.getByRole('dialog', { name: customer.name });
    await drawer.getByRole('group', { name: 'Actions' }).waitFor();
    await drawer.getByRole('region', { name: 'Recent activity' }).getByText('admin.user.reactivated').waitFor();
    expect(await overflow(page)).toBeLessThanOrEqual(0);
    const box = await drawer.boundingBox();
    expect(box?.x ?? -1).toBeGreaterThanOrEqual(0);
    expect((box?.x ?? 0) + (box?.width ?? 1000)).toBeLessThanOrEqual(375);
    const drawerOverflow = await drawer.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(drawerOverflow, 'horizontal overflow inside the drawer (px)').toBeLessThanOrEqual(0);

    expect(pageErrors).toEqual([]);
  });
});
