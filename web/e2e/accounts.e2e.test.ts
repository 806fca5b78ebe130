import type { Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, launchBrowser, type Browser } from './browser';
import { smtpPort, startMailSink, type MailSink } from './mail-sink';
import { currentStep, totp } from './totp';

// One account walks the whole journey; the tests run in order and share it.
const email = `e2e-${Date.now()}-${process.pid}@example.com`;
const password = 'correct horse battery staple 42';
let secret = '';

function apiCalls(page: Page): string[] {
  const calls: string[] = [];
  page.on('request', (req: Request) => {
    const url = new URL(req.url());
    if (url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/version')) calls.push(`${req.method()} ${url.pathname}`);
  });
  return calls;
}

async function signIn(page: Page) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

describe('accounts: sign-up, verification, two-factor and sessions', () => {
  let browser: Browser;
  let mail: MailSink;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    mail = await startMailSink(smtpPort());
    browser = await launchBrowser();
    page = await browser.context.newPage();
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await mail?.close();
  });

  it('computes RFC 6238 codes (test vector)', () => {
    // RFC 6238 appendix B, SHA1 secret "12345678901234567890", T = 59 s: 94287082 (8 digits).
    expect(totp('GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ', 1, 8)).toBe('94287082');
  });

  it('registers, verifies the email from the mail, and signs in again', async () => {
    await page.goto(`${baseUrl()}/register`, { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: 'Create your account' }).waitFor();
    await page.getByLabel('Name').fill('Ada Lovelace');
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password', { exact: true }).fill(password);
    await page.getByRole('button', { name: 'Create account' }).click();

    await page.waitForURL(/\/dashboard$/);
    await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor();
    const banner = page.getByRole('region', { name: 'Email verification' });
    await banner.waitFor();
    expect(await page.getByTestId('email-state').textContent()).toContain('Not verified');

    const message = await mail.waitFor(email, 'Verify your email address');
    const link = /^(https?:\/\/\S+\/verify-email\?token=[A-Za-z0-9_-]+)\s*$/m.exec(message.text)?.[1];
    expect(link, message.text).toBeDefined();
    expect(link?.startsWith(baseUrl())).toBe(true);

    // A full page load: the session comes back through the refresh cookie.
    await page.goto(link ?? '', { waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: 'Email verified' }).waitFor();
    await page.getByRole('link', { name: 'Go to the dashboard' }).click();
    await page.waitForURL(/\/dashboard$/);
    await page.waitForFunction(() => document.querySelector('[data-testid="email-state"]')?.textContent?.includes('Verified'));
    expect(await banner.count()).toBe(0);

    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(/\/login$/);
    await page.getByText('You have signed out.').waitFor();

    await signIn(page);
    await page.waitForURL(/\/dashboard$/);
    await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor();
  });

  it('turns on two-factor authentication with a code computed from the shown secret', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Account settings' }).click();
    await page.waitForURL(/\/account$/);
    const section = page.locator('#two-factor');
    await section.getByRole('button', { name: 'Set up two-factor authentication' }).click();
    await section.getByLabel('Password', { exact: true }).fill(password);
    await section.getByRole('button', { name: 'Continue' }).click();

    const shown = page.getByTestId('totp-secret');
    await shown.waitFor();
    secret = ((await shown.textContent()) ?? '').replace(/\s+/g, '');
    expect(secret).toMatch(/^[A-Z2-7]{16,}$/);
    await expect(page.getByTestId('totp-qr').count()).resolves.toBe(1);

    await section.getByLabel('Code from the app').fill(totp(secret));
    await section.getByRole('button', { name: 'Turn on two-factor' }).click();

    const codes = page.getByTestId('recovery-codes').getByRole('listitem');
    await codes.first().waitFor();
    expect(await codes.count()).toBe(10);
    await section.getByRole('button', { name: 'I have saved my codes' }).click();
    await page.waitForFunction(() => document.querySelector('#two-factor [data-testid="two-factor-state"]')?.textContent?.includes('On'));
  });

  it('signs in with password and TOTP code', async () => {
    await page.getByRole('button', { name: 'Sign out', exact: true }).click();
    await page.waitForURL(/\/login$/);
    await signIn(page);

    await page.getByRole('heading', { name: 'Two-factor authentication' }).waitFor();
    // The code of the step used to enable 2FA is spent (replay refusal); the next step's code is accepted (±1).
    await page.getByLabel('Authentication code').fill(totp(secret, currentStep() + 1));
    await page.getByRole('button', { name: 'Verify and sign in' }).click();

    await page.waitForURL(/\/dashboard$/);
    await page.waitForFunction(() => document.querySelector('[data-testid="two-factor-state"]')?.textContent?.includes('On'));
  });

  it('refreshes the session once on a 401 and retries the request', async () => {
    const calls = apiCalls(page);
    let answered401 = false;
    await page.route('**/api/user/profile', async (route) => {
      if (answered401 || route.request().method() !== 'GET') return route.continue();
      answered401 = true;
      await route.fulfill({
        status: 401,
        contentType: 'application/problem+json',
        body: JSON.stringify({
          type: '/docs/problems#UNAUTHORIZED',
          title: 'Authentication required',
          status: 401,
          code: 'UNAUTHORIZED',
          requestId: 'e2e',
        }),
      });
    });

    // Reload: the in-memory access token is gone, the refresh cookie restores the session, then the
    // dashboard's profile request meets the forced 401 and must recover through a second refresh.
    await page.reload({ waitUntil: 'domcontentloaded' });
    await page.getByRole('heading', { name: 'Welcome, Ada Lovelace' }).waitFor();
    await expect.poll(() => calls.filter((c) => c === 'GET /api/user/profile').length).toBe(2);
    await page.unroute('**/api/user/profile');

    expect(answered401).toBe(true);
    // The dashboard's overview cards (quota, keys, recent errors) load in parallel; only the session calls matter here.
    const sessionCalls = calls.filter((c) => c.includes(' /api/auth/') || c.endsWith(' /api/user/profile'));
    // On reload the app restores the session with a refresh first, or (when a page asks for the profile before the
    // restore finished) meets a 401 and refreshes then: either way at most one refresh before the first profile
    // call, and after the forced 401 exactly one refresh and one retry.
    const first = sessionCalls.indexOf('GET /api/user/profile');
    expect(first).toBeGreaterThanOrEqual(0);
    expect(sessionCalls.slice(0, first).every((c) => c === 'POST /api/auth/refresh')).toBe(true);
    expect(first).toBeLessThanOrEqual(1);
    expect(sessionCalls.slice(first)).toEqual(['GET /api/user/profile', 'POST /api/auth/refresh', 'GET /api/user/profile']);
    expect(new URL(page.url()).pathname).toBe('/dashboard');
  });

  it('lists this session and fits a 375 px wide screen', async () => {
    await page.setViewportSize({ width: 375, height: 800 });
    await page.goto(`${baseUrl()}/account#sessions`, { waitUntil: 'domcontentloaded' });
    const current = page.getByTestId('session').filter({ hasText: 'This device' });
    await current.waitFor();
    expect(await current.count()).toBe(1);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
  });

  it('sends a signed-out visitor to the sign-in page, remembering the page', async () => {
    await browser.context.clearCookies();
    await page.goto(`${baseUrl()}/account`, { waitUntil: 'domcontentloaded' });
    await page.waitForURL(/\/login\?next=%2Faccount$/);
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(pageErrors).toEqual([]);
  });
});
