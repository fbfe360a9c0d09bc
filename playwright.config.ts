// End-to-end tests against the built dashboard in headless Chromium: Debian's /usr/bin/chromium
// when present (or $IVY_CHROMIUM), else Playwright's own browser.
import { defineConfig } from '@playwright/test';
import { chromiumArgs, chromiumExecutablePath } from './scripts/chromium.ts';

// IVY_E2E_PORT lets several checkouts run their suites side by side.
const PORT = Number(process.env.IVY_E2E_PORT ?? 5199);
// Each worker has a server of its own (scripts/e2e-servers.ts), at PORT + its index: this file is
// read again in every worker process, where TEST_PARALLEL_INDEX says which one it is.
// Two by default: on the shared 2-core machine 3 and 4 workers took no less wall time (2: 313,
// 332 and 260 s, 3: 316 and 310 s, 4: 359 and 338 s, with others' load averages of 10 to 28), and
// starved node tabs of the CPU until they missed pulses: takeovers the tests did not expect, and
// timeouts.
const WORKERS = Number(process.env.IVY_E2E_WORKERS ?? 2);
const OWN_PORT = PORT + Number(process.env.TEST_PARALLEL_INDEX ?? 0);

export default defineConfig({
  testDir: 'tests/e2e',
  // A whole test's budget: a three-failover test takes 13 s idle and 32 s with both cores kept
  // busy by other work. What the product must do in time is asserted by each expect (10 s).
  timeout: 60_000,
  expect: { timeout: 10_000 },
  fullyParallel: true,
  workers: WORKERS,
  forbidOnly: !!process.env.CI,
  // No retries: a test that needs one on a loaded 2-core machine has found a timing assumption
  // in the product, and that is a bug to fix.
  retries: 0,
  reporter: process.env.CI ? 'line' : 'list',
  use: {
    baseURL: `http://127.0.0.1:${OWN_PORT}`,
    headless: true,
    trace: 'retain-on-failure',
    launchOptions: {
      executablePath: chromiumExecutablePath,
      args: chromiumArgs,
    },
  },
  projects: [{ name: 'chromium', use: { browserName: 'chromium' } }],
  webServer: {
    // The production build plus the test pages, in dist-e2e/ (vite.config.ts's e2e mode): the same
    // worker bundling users get from `npm run build`. The server bundle is for across-hosts.spec.ts.
    command: `npx vite build --mode e2e --logLevel warn && npx vite build --ssr src/server/serve.ts --outDir dist-server --logLevel warn && npx tsx scripts/e2e-servers.ts ${PORT} ${WORKERS}`,
    url: `http://127.0.0.1:${PORT + WORKERS - 1}`,
    reuseExistingServer: !process.env.CI,
    timeout: 120_000,
  },
});
