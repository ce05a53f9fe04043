import type { Browser, Page } from 'playwright-core';

export { launchChromium, serveStatic } from '../scripts/chromium.mjs';

/** A page that records every console error and uncaught exception (each test expects none). */
export async function openPage(browser: Browser, url: string): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage();
  const errors: string[] = [];
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  page.on('pageerror', (err) => errors.push(err.message));
  await page.goto(url);
  return { page, errors };
}
