// The experiments page in the browser, as CI's smoke check of `npm run experiments` (the full
// quick run takes longer than CI's budget): a small fault scenario on real worker nodes, the
// ping and central-store baselines. The page is served cross-origin isolated, as the
// experiments script serves it, so that the workers' clock (5 µs) orders the history.
import { expect, test } from '@playwright/test';
import type { ExperimentsApi } from '../../src/experiments/page.ts';
import type { StepResult } from '../../src/experiments/run-step.ts';
import type { Step } from '../../src/experiments/suite.ts';

const ISOLATION = { 'cross-origin-opener-policy': 'same-origin', 'cross-origin-embedder-policy': 'require-corp' };

async function runStep(page: import('@playwright/test').Page, step: Step): Promise<StepResult> {
  return page.evaluate((s) => {
    const x = (globalThis as unknown as { ivyExperiments: ExperimentsApi }).ivyExperiments;
    return x.runStep(s, x.progress);
  }, step);
}

test.beforeEach(async ({ context, page }) => {
  await context.route('**/*', async (route) => {
    const response = await route.fetch();
    await route.fulfill({ response, headers: { ...response.headers(), ...ISOLATION } });
  });
  await page.goto('/experiments.html');
  await expect(page.locator('body')).toHaveAttribute('data-ready', 'true');
  expect(await page.evaluate(() => globalThis.crossOriginIsolated)).toBe(true);
});

test('a primary kill and restart under load: every operation done, linearizable, unavailability measured', async ({ page }) => {
  const r = await runStep(page, {
    id: 'smoke',
    kind: 'scenario',
    config: {
      name: 'smoke',
      clients: 4,
      pages: 4,
      readRatio: 0.5,
      opsPerClient: 100_000,
      durationMs: 2000,
      seed: 5,
      backup: true,
      replication: 'streaming',
      persist: true,
      faults: [
        { atMs: 300, action: 'kill', node: 'cm1' },
        { atMs: 1000, action: 'restart', node: 'cm1' },
      ],
    },
  });
  if (r.kind !== 'scenario') throw new Error(`expected a scenario result, got ${r.kind}`);
  const s = r.result;
  expect(s.issued).toBeGreaterThan(0);
  expect(s.ok).toBe(s.issued);
  expect(s.linearizable).toBe(true);
  expect(s.faults.map((f) => [f.action, f.applied])).toEqual([
    ['kill', true],
    ['restart', true],
  ]);
  expect(s.faults[0]?.roleWhenKilled).toBe('acting');
  expect(s.faults[0]?.unavailableMs).not.toBeNull();
  expect(s.latency.readFault.count + s.latency.writeFault.count).toBeGreaterThan(0);
  expect(s.messagesPerOp.READ_REQUEST ?? 0).toBeGreaterThan(0);
});

test('baselines: ping between two workers and the central store', async ({ page }) => {
  const ping = await runStep(page, { id: 'ping', kind: 'ping', count: 50 });
  if (ping.kind !== 'ping') throw new Error('expected a ping result');
  expect(ping.result.rtt.count).toBe(50);
  const store = await runStep(page, {
    id: 'store',
    kind: 'central-store',
    config: { name: 'store', clients: 3, pages: 4, readRatio: 0.9, opsPerClient: 50, seed: 2 },
  });
  if (store.kind !== 'central-store') throw new Error('expected a central-store result');
  expect(store.result.ok).toBe(150);
  expect(store.result.linearizable).toBe(true);
});
