import type { APIResponse, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, launchBrowser, type Browser } from './browser';
import { smtpPort, startMailSink, type MailSink } from './mail-sink';

// One account walks the key's whole life; the tests run in order and share it.
const email = `e2e-keys-${Date.now()}-${process.pid}@example.com`;
const password = 'correct horse battery staple 42';
const keyName = `Playground ${process.pid}`;
const PREFIX_CHARS = 16;

let firstSecret = '';
let rotatedSecret = '';
let echoRequestId = '';

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `check` every `everyMs` until it returns a value or `timeoutMs` passes; the last error is rethrown. */
async function until<T>(check: () => Promise<T | undefined>, timeoutMs: number, everyMs = 250, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await sleep(everyMs);
  }
}

interface PlaygroundAnswer {
  status: number;
  requestId: string;
  headers: Record<string, string>;
  statusText: string;
  problemCode: string | null;
  sent: Record<string, string>;
}

/** Sends one request from the playground page with `key`, and reads what the page shows about the answer. */
async function sendFromPlayground(page: Page, key: string): Promise<PlaygroundAnswer> {
  const keyField = page.getByLabel('API key');
  if ((await keyField.inputValue()) !== key) await keyField.fill(key);
  const requestSeen = page.waitForRequest((r) => new URL(r.url()).pathname.startsWith('/gw/echo'));
  const responseSeen = page.waitForResponse((r) => new URL(r.url()).pathname.startsWith('/gw/echo'));
  await page.getByRole('button', { name: 'Send request' }).click();
  const [request, response] = await Promise.all([requestSeen, responseSeen]);
  const headers = await response.allHeaders();
  const requestId = headers['x-request-id'] ?? '';
  expect(requestId).not.toBe('');
  // The page has rendered this answer (not the previous one) once its request id is on screen.
  await page.locator(`[data-testid="playground-header"][data-header="x-request-id"]`, { hasText: requestId }).waitFor();
  const problem = page.getByTestId('playground-problem-code');
  return {
    status: response.status(),
    requestId,
    headers,
    statusText: (await page.getByTestId('playground-status').textContent()) ?? '',
    problemCode: (await problem.count()) > 0 ? await problem.textContent() : null,
    sent: await request.allHeaders(),
  };
}

async function highlightedHeaders(page: Page): Promise<string[]> {
  return page
    .locator('[data-testid="playground-header"][data-highlighted="true"]')
    .evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.header ?? ''));
}

async function gatewayCode(response: APIResponse): Promise<string> {
  const body = (await response.json().catch(() => ({}))) as { code?: string };
  return `${response.status()} ${body.code ?? ''}`.trim();
}

function keyCard(page: Page, secret: string) {
  return page.getByTestId('api-key').filter({ hasText: secret.slice(0, PREFIX_CHARS) });
}

async function openPlayground(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
  await page.waitForURL(/\/keys$/);
  await page.getByRole('link', { name: 'API playground', exact: true }).first().click();
  await page.waitForURL(/\/playground$/);
  await page.getByRole('heading', { name: 'API playground', level: 1 }).waitFor();
}

describe('API keys: create in the UI, call the gateway, see the usage, rotate and revoke', () => {
  let browser: Browser;
  let mail: MailSink;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    // Registration sends a verification mail: give the server somewhere to deliver it.
    mail = await startMailSink(smtpPort());
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
    // The gateway's endpoint catalog loads in the background after start-up.
    await until(
      async () => {
        const r = await page.request.get(`${baseUrl()}/gw/echo`);
        return (await gatewayCode(r)) === '401 API_KEY_REQUIRED' ? true : undefined;
      },
      30_000,
      250,
      'the gateway catalog serving /gw/echo',
    );
  });

  afterAll(async () => {
    await browser?.close();
    await mail?.close();
  });

  it('registers and creates a key, copying its secret from the page', async () => {
    await page.goto(`${baseUrl()}/register`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Name').fill('Grace Hopper');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.getByRole('heading', { name: 'Welcome, Grace Hopper' }).waitFor();
    // The dashboard links to the playground too.
    expect(await page.getByRole('link', { name: /API playground/ }).count()).toBeGreaterThan(0);

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/keys$/);
    await page.getByText('No API keys yet').waitFor();
    await page.getByRole('button', { name: 'Create key', exact: true }).first().click();
    const dialog = page.getByRole('dialog', { name: 'Create an API key' });
    await dialog.getByLabel('Name').fill(keyName);
    await dialog.getByRole('button', { name: 'Create key' }).click();

    const secretDialog = page.getByRole('dialog', { name: 'Copy your key now' });
    const shown = secretDialog.getByTestId('api-key-secret');
    await shown.waitFor();
    firstSecret = ((await shown.textContent()) ?? '').trim();
    expect(firstSecret).toMatch(/^tg_live_[A-Za-z0-9_-]{20,}$/);
    await secretDialog.getByRole('button', { name: 'I have stored the key' }).click();
    await keyCard(page, firstSecret).waitFor();
    expect(await page.locator('body').textContent()).not.toContain(firstSecret);
  });

  it('calls /gw/echo with it from the playground: 200, rate-limit headers, and only the key as credential', async () => {
    await openPlayground(page);
    // Prefilled from memory right after the key was created.
    expect(await page.getByLabel('API key').inputValue()).toBe(firstSecret);
    await page.getByTestId('playground-prefilled').waitFor();

    const answer = await sendFromPlayground(page, firstSecret);
    expect(answer.status).toBe(200);
    expect(answer.statusText).toMatch(/^200 OK/);
    expect(answer.problemCode).toBeNull();
    expect(answer.sent['x-api-key']).toBe(firstSecret);
    // The dashboard's bearer token and cookies never go along.
    expect(answer.sent.authorization).toBeUndefined();
    expect(answer.sent.cookie).toBeUndefined();

    expect(answer.headers['ratelimit-limit']).toMatch(/^\d+$/);
    expect(await highlightedHeaders(page)).toEqual(
      expect.arrayContaining(['ratelimit-limit', 'ratelimit-remaining', 'ratelimit-reset', 'x-request-id']),
    );
    expect(await page.getByTestId('playground-ratelimit').textContent()).toMatch(/requests left in this window/);
    expect(await page.getByTestId('playground-deprecation').count()).toBe(0);

    // The echo: what the upstream received, pretty-printed. The key itself was stripped by the gateway.
    const body = (await page.getByTestId('playground-body').textContent()) ?? '';
    const echoed = JSON.parse(body) as { method: string; path: string; query: string; headers: Record<string, string> };
    expect(body).toContain('\n  "method": "GET"');
    expect(echoed).toMatchObject({ method: 'GET', path: '/echo/hello', query: 'source=playground' });
    expect(echoed.headers['x-request-id']).toBe(answer.requestId);
    expect(echoed.headers['x-tollgate-key-id']).toBeTruthy();
    expect(JSON.stringify(echoed.headers)).not.toContain(firstSecret);
    echoRequestId = answer.requestId;
  });

  it('shows the call on the Usage page within 10 seconds', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Usage' }).click();
    await page.waitForURL(/\/usage/);
    await page.getByRole('heading', { name: 'Usage', level: 1 }).waitFor();
    const row = page.getByTestId('usage-event').filter({ hasText: echoRequestId });
    await until(
      async () => {
        if ((await row.count()) > 0) return true;
        await page.getByRole('button', { name: /^Refresh/ }).click();
        return undefined;
      },
      10_000,
      500,
      'the playground call listed on the Usage page',
    );
    const text = (await row.first().textContent()) ?? '';
    expect(text).toContain('/echo/*');
    expect(text).toContain('200');
    expect(text).toContain(keyName);
    expect(Number(((await page.getByTestId('stat-requests').textContent()) ?? '').replace(/\D+/g, ' ').trim().split(' ')[0])).toBeGreaterThanOrEqual(1);
  });

  it('rotates with a 24 h grace period: the old key still works, marked Deprecation and Sunset', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/keys$/);
    await keyCard(page, firstSecret).getByRole('button', { name: /^Rotate/ }).click();
    const dialog = page.getByRole('dialog', { name: /Rotate/ });
    expect(await dialog.getByLabel('Grace period (hours)').inputValue()).toBe('24');
    await dialog.getByRole('button', { name: 'Rotate key' }).click();

    const secretDialog = page.getByRole('dialog', { name: 'Copy your new key now' });
    const shown = secretDialog.getByTestId('api-key-secret');
    await shown.waitFor();
    rotatedSecret = ((await shown.textContent()) ?? '').trim();
    expect(rotatedSecret).toMatch(/^tg_live_/);
    expect(rotatedSecret).not.toBe(firstSecret);
    expect(await secretDialog.getByTestId('rotation-note').textContent()).toContain('keeps working until');
    await secretDialog.getByRole('button', { name: 'I have stored the key' }).click();
    await keyCard(page, rotatedSecret).waitFor();
    await keyCard(page, firstSecret).getByText(/Rotating — works until/).waitFor();

    await page.getByRole('link', { name: 'API playground', exact: true }).first().click();
    await page.waitForURL(/\/playground$/);
    expect(await page.getByLabel('API key').inputValue()).toBe(rotatedSecret);
    expect(await page.getByTestId('playground-prefilled').textContent()).toContain('you just rotated');

    const old = await sendFromPlayground(page, firstSecret);
    expect(old.status).toBe(200);
    expect(old.headers.deprecation).toBeTruthy();
    const sunset = Date.parse(old.headers.sunset ?? '');
    expect(sunset - Date.now()).toBeGreaterThan(23 * 3_600_000);
    expect(sunset - Date.now()).toBeLessThanOrEqual(24 * 3_600_000 + 60_000);
    expect(await highlightedHeaders(page)).toEqual(expect.arrayContaining(['deprecation', 'sunset']));
    expect(await page.getByTestId('playground-deprecation').textContent()).toContain('This key is deprecated.');

    const fresh = await sendFromPlayground(page, rotatedSecret);
    expect(fresh.status).toBe(200);
    expect(fresh.headers.deprecation).toBeUndefined();
    expect(await page.getByTestId('playground-deprecation').count()).toBe(0);
  });

  it('revokes in the UI: the revoked key is refused with 401 API_KEY_REVOKED within about a second', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'API keys' }).click();
    await page.waitForURL(/\/keys$/);

    for (const secret of [rotatedSecret, firstSecret]) {
      await keyCard(page, secret).getByRole('button', { name: /^Revoke/ }).click();
      const dialog = page.getByRole('dialog', { name: 'Revoke API key' });
      await dialog.getByLabel(/to confirm/).fill(keyName);
      const revoked = page.waitForResponse((r) => r.request().method() === 'DELETE' && r.url().includes('/api/user/api-keys/'));
      await dialog.getByRole('button', { name: 'Revoke key' }).click();
      expect((await revoked).status()).toBe(204);
      const at = Date.now();

      const code = await until(
        async () => {
          const r = await page.request.get(`${baseUrl()}/gw/echo/after-revoke`, { headers: { 'X-API-Key': secret } });
          const c = await gatewayCode(r);
          return c.startsWith('200') ? undefined : c;
        },
        1_500,
        50,
        'the revoked key being refused',
      );
      expect(code).toBe('401 API_KEY_REVOKED');
      expect(Date.now() - at).toBeLessThan(1_500);
      await page.getByText(`Revoked “${keyName}”. Calls with it are now refused.`).waitFor();
    }
    await page.getByText('Revoked keys (2)').waitFor();

    // The playground shows the refusal as a problem, with its reference link.
    await page.getByRole('link', { name: 'API playground', exact: true }).first().click();
    await page.waitForURL(/\/playground$/);
    const answer = await sendFromPlayground(page, rotatedSecret);
    expect(answer.status).toBe(401);
    expect(answer.problemCode).toBe('API_KEY_REVOKED');
    expect(answer.statusText).toMatch(/^401 Unauthorized/);
    const problem = page.getByTestId('playground-problem');
    expect(await problem.textContent()).toContain('The API key was revoked.');
    expect(await problem.getByRole('link', { name: 'What API_KEY_REVOKED means' }).getAttribute('href')).toBe('/docs/problems#API_KEY_REVOKED');

    // …which documents the code.
    await problem.getByRole('link', { name: 'What API_KEY_REVOKED means' }).click();
    await page.waitForURL(/\/docs\/problems#API_KEY_REVOKED$/);
    await page.locator('[id="API_KEY_REVOKED"].is-target').waitFor();
    expect(pageErrors).toEqual([]);
  });
});
