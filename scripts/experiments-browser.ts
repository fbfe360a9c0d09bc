// The browser half of `npm run experiments`: build the app with vite, serve dist with vite's
// preview server on a free loopback port, open the experiments page in headless Chromium.
// The page is served cross-origin isolated so that its clock ticks in 5 µs, not 100 µs: the
// history's order across workers comes from that clock.
import { createServer } from 'node:net';
import { chromium, type Browser, type Page } from '@playwright/test';
import { build, preview, type PreviewServer } from 'vite';
import { chromiumArgs, chromiumExecutablePath } from './chromium.ts';

const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
};

export interface ExperimentsBrowser {
  page: Page;
  /** e.g. "Chromium 140.0.7339.185". */
  version: string;
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
    log('building (vite build)…');
    await build({ logLevel: 'warn' });
  }
  const port = await freePort();
  const server: PreviewServer = await preview({
    logLevel: 'warn',
    preview: { host: '127.0.0.1', port, strictPort: true, headers: ISOLATION_HEADERS },
  });
  let browser: Browser | null = null;
  try {
    browser = await chromium.launch({ headless: true, executablePath: chromiumExecutablePath, args: chromiumArgs });
    const page = await browser.newPage();
    page.on('pageerror', (e) => log(`page error: ${e.message}`));
    page.on('console', (m) => {
      if (m.type() === 'error' || process.env.IVY_EXPERIMENTS_DEBUG) log(`page console: ${m.text()}`);
    });
    await page.goto(`http://127.0.0.1:${port}/experiments.html`);
    await page.waitForSelector('body[data-ready="true"]');
    const opened = browser;
    return {
      page,
      version: `Chromium ${browser.version()}`,
      close: async () => {
        await opened.close();
        await server.close();
      },
    };
  } catch (e) {
    await browser?.close();
    await server.close();
    throw e;
  }
}
