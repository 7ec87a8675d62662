import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe } from '@jest/globals';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's `chromium` package; CHROMIUM_PATH points elsewhere. Never a downloaded build. */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Where browser tests put what they produce (screenshots); gitignored. */
export function testOutputDir(name: string): string {
  const dir = resolve('test-results', name);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** `describe` when Chromium is installed; else one line saying why and a skip (CI: an error). */
export function describeWithChromium(what: string): typeof describe {
  if (existsSync(CHROMIUM_PATH)) return describe;
  const message = `no Chromium at ${CHROMIUM_PATH} (apt-get install chromium, or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true')
    throw new Error(`${message}; CI=true requires it (.ci/run installs it)`);
  process.stderr.write(`\nSKIPPED ${what}: ${message}\n`);
  return describe.skip as typeof describe;
}

// The machine has no outside network: nothing in the background may try to reach it.
const FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface BrowserSession {
  context: BrowserContext;
  close(): Promise<void>;
}

/** A headless Chromium with a fresh profile of its own (its --user-data-dir), removed on close. */
export async function openBrowser(
  options: { extraHTTPHeaders?: Record<string, string> } = {},
): Promise<BrowserSession> {
  const profile = mkdtempSync(join(tmpdir(), 'nts-chromium-'));
  try {
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: FLAGS,
      // Playwright turns the back/forward cache off; a person's browser has it on, and it is
      // what would show a logged-out user the old page on Back.
      ignoreDefaultArgs: ['--disable-back-forward-cache'],
      viewport: { width: 1100, height: 700 },
      extraHTTPHeaders: options.extraHTTPHeaders,
    });
    return {
      context,
      close: async () => {
        await context.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}
