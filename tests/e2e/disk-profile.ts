// A browser profile on disk for the tests that are about durability: Playwright's own pages
// are off the record, their OPFS and IndexedDB in memory, so a test of what survives a crash
// there tests memory. Each test gets a fresh profile in a temporary directory, removed after.
import { test as base, type BrowserContext } from '@playwright/test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromiumArgs, chromiumExecutablePath } from '../../scripts/chromium.ts';

export const test = base.extend<{ diskContext: BrowserContext }>({
  diskContext: async ({ playwright, baseURL }, use) => {
    const dir = mkdtempSync(join(tmpdir(), 'ivy-e2e-profile-'));
    const context = await playwright.chromium.launchPersistentContext(dir, {
      headless: true,
      executablePath: chromiumExecutablePath,
      args: chromiumArgs,
      ...(baseURL ? { baseURL } : {}),
    });
    try {
      await use(context);
    } finally {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    }
  },
});

export { expect } from '@playwright/test';
