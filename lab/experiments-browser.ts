// The browser half of `npm run experiments`: build the app with vite, serve it with vite's
// preview server on a free loopback port, open the experiments page in headless Chromium. It is
// the e2e build (dist-e2e/: the app plus the test pages and the `?debug` hooks), as the tab steps
// drive each node's tab through `window.ivyTab` (scripts/tab-pages.ts), which dist/ leaves out. The
// browser runs in a fresh profile on disk (a temporary directory, removed at the end), as a
// user's does: an off-the-record context keeps IndexedDB and OPFS in memory, and every figure
// of durability would measure memory, not a disk.
// The page is served cross-origin isolated so that its clock ticks in 5 µs, not 100 µs: the
// history's order across workers comes from that clock.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';
import { chromiumArgs, chromiumExecutablePath } from '../scripts/chromium.ts';

/** vite.config.ts's e2e mode. */
const MODE = 'e2e';
const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export interface ExperimentsBrowser {
  page: Page;
  /** e.g. "Chromium 140.0.7339.185". */
  version: string;
  /** The profile directory on disk the browser runs in. */
  profile: string;
  /** Loads the experiments page anew, which ends every worker it started. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

export async function openExperimentsPage(log: (line: string) => void, skipBuild: boolean): Promise<ExperimentsBrowser> {
  if (!skipBuild) {
    log(`building (vite build --mode ${MODE})…`);
    await build({ mode: MODE, logLevel: 'warn' });
  }
  const port = await freePort();
  const server: PreviewServer = await preview({
    mode: MODE,
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, headers: ISOLATION_HEADERS },
  });
  let context: BrowserContext | null = null;
  const profile = mkdtempSync(join(tmpdir(), 'ivy-experiments-profile-'));
  const removeProfile = (): void => rmSync(profile, { recursive: true, force: true });
  try {
    // The base address lets the tab steps open their pages in this same profile (experiments-tab.ts).
    context = await chromium.launchPersistentContext(profile, {
      headless: true,
      executablePath: chromiumExecutablePath,
      args: chromiumArgs,
      baseURL: `http://127.0.0.1:${port}`,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || process.env.IVY_EXPERIMENTS_DEBUG) log(`page console: ${m.text()}`);
    });
    const load = async (): Promise<void> => {
      await page.goto(`http://127.0.0.1:${port}/experiments.html`);
      await page.waitForSelector('body[data-ready="true"]');
    };
    await load();
    const opened = context;
    return {
      page,
      version: `Chromium ${opened.browser()?.version() ?? (await page.evaluate(() => navigator.userAgent)).replace(/.*Chrome\/([0-9.]+).*/, '$1')}`,
      profile,
      reload: load,
      close: async () => {
        await opened.close();
        await server.close();
        removeProfile();
      },
    };
  } catch (e) {
    await context?.close();
    await server.close();
    removeProfile();
    throw e;
  }
}
