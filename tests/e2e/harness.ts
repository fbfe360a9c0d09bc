// Drives the PeerJS transport harness page (pages/peer-harness.ts): opens it, and runs one of its
// functions in the page.
import { expect, type Page } from '@playwright/test';
import type { HarnessApi } from './pages/harness-api.ts';

export async function openHarness(page: Page): Promise<void> {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto('/tests/e2e/pages/peer-harness.html');
  await page.waitForFunction(() => window.harness !== undefined || window.harnessError !== undefined);
  expect(await page.evaluate(() => window.harnessError ?? null)).toBeNull();
  expect(errors).toEqual([]);
}

/** Runs one harness function in the page. */
export function run<K extends keyof HarnessApi>(
  page: Page,
  name: K,
  ...args: Parameters<HarnessApi[K]>
): Promise<Awaited<ReturnType<HarnessApi[K]>>> {
  return page.evaluate(
    ([n, a]) => {
      const api = window.harness as unknown as Record<string, (...x: unknown[]) => Promise<unknown>>;
      const fn = api[n as string];
      if (!fn) throw new Error(`no harness function ${String(n)}`);
      return fn(...(a as unknown[]));
    },
    [name, args] as const,
  ) as Promise<Awaited<ReturnType<HarnessApi[K]>>>;
}
