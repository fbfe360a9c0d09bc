// The time limits a person sets reach the nodes the browser builds. The dashboard opened at
// ?pulseIntervalMs=400 starts its CMs with that pulse: the standby takes over only after
// pulseMissesMax (3) of its pulses went unanswered, so never sooner than two intervals after the
// acting CM died (with the default 100 ms pulse it takes about 0.3 s). A slow machine only makes
// the takeover later, never sooner. The cluster then serves writes under the new CM.
import { expect, test } from '@playwright/test';
import type { ClusterModel } from '../../src/ui/cluster-model.ts';
import { startClient, startCm } from './dashboard.ts';

const PULSE_MS = 400;

test('the page address sets the pulse interval of the nodes the dashboard starts', async ({ page }) => {
  await page.goto(`/?debug&pulseIntervalMs=${PULSE_MS}`);
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  await startClient(page, 'c1');

  const run = await page.evaluate(async () => {
    const m = (window as unknown as { ivy: ClusterModel }).ivy;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const until = async (ok: () => boolean, what: string) => {
      for (const end = performance.now() + 15_000; !ok();) {
        if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(5);
      }
    };
    await until(
      () =>
        m
          .cmStatuses()
          .map((s) => `${s.id} ${s.role}`)
          .join(', ') === 'cm1 acting, cm2 standby',
      'cm1 acting, cm2 standing by',
    );
    const before = await m.cluster.get('c1')!.writePage('P1', 'before');
    // Let the standby pulse a few times, so that cm1 holds its role lease.
    await sleep(1000);
    const killAt = performance.now();
    await m.kill('cm1');
    await until(() => m.acting()?.id === 'cm2', 'cm2 to act');
    const takeoverMs = performance.now() - killAt;
    const after = await m.cluster.get('c1')!.writePage('P1', 'after');
    return { timing: m.cluster.timing, before: before.ok, after: after.ok, takeoverMs };
  });

  console.log(`takeover at pulseIntervalMs ${PULSE_MS}: ${run.takeoverMs.toFixed(0)} ms after the kill`);
  expect(run.timing).toEqual({ pulseIntervalMs: PULSE_MS });
  expect(run.before).toBe(true);
  expect(run.takeoverMs).toBeGreaterThanOrEqual(2 * PULSE_MS);
  expect(run.after).toBe(true);
});

test('a time limit the page cannot use is refused, saying which', async ({ page }) => {
  await page.goto('/?pulseIntervalMs=fast');
  await expect(page.getByRole('alert')).toContainText("the page's pulseIntervalMs must be a number of milliseconds");
  await expect(page.getByRole('button', { name: 'Start CM', exact: true })).toHaveCount(0);
});
