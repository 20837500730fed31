/**
 * Headless Chromium for the dashboard's tests and bench (puppeteer-core
 * drives the system's browser: Debian's `chromium` package, or the one env
 * CHROMIUM names). Tests that need it report themselves skipped when it is
 * missing (SKIP_NO_CHROMIUM), never pass without it.
 */
import fs from 'node:fs';
import puppeteer, { type Browser } from 'puppeteer-core';

/** The Chromium binary to drive, or null when none is installed. */
export function chromiumPath(): string | null {
  const env = process.env['CHROMIUM'];
  if (env) return fs.existsSync(env) ? env : null;
  for (const p of ['/usr/bin/chromium', '/usr/bin/chromium-browser']) if (fs.existsSync(p)) return p;
  return null;
}

export const SKIP_NO_CHROMIUM = 'SKIPPED: chromium is not installed (apt-get install -y chromium)';

/** Starts headless Chromium (no sandbox: tests may run as root in a container). */
export async function launchBrowser(): Promise<Browser> {
  const executablePath = chromiumPath();
  if (executablePath === null) throw new Error(SKIP_NO_CHROMIUM);
  return puppeteer.launch({
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--mute-audio'],
  });
}
