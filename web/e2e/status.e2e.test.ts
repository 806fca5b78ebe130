import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseUrl, launchBrowser, type Browser } from './browser';

describe('dashboard against a running server', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  });

  afterAll(async () => {
    await browser?.close();
  });

  it('navigates from the landing page to Status and sees the database up', async () => {
    const page = await browser.context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));

    const response = await page.goto(`${baseUrl()}/`, { waitUntil: 'domcontentloaded' });
    expect(response?.status()).toBe(200);
    await page.getByRole('heading', { level: 1 }).first().waitFor();

    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Status', exact: true }).click();
    await page.waitForURL(/\/status$/);

    const database = page.getByTestId('check-database');
    await database.waitFor({ state: 'visible' });
    // Auto-refresh means a transient state can flip; wait for the healthy reading.
    await page.waitForFunction(
      () => /\b(up|ready)\b/i.test(document.querySelector('[data-testid="check-database"]')?.textContent ?? ''),
      undefined,
      { timeout: 30_000 },
    );
    const text = await database.textContent();
    expect(text).toMatch(/Database/);
    expect(text).toMatch(/\b(up|ready)\b/i);
    expect(pageErrors).toEqual([]);
  });
});
