// Issue 10 in the browser: tabs come and go. A client that leaves for good must not wedge the
// cluster, before or after the acting CM fails; the views say who is away and since when; and one
// node id runs at most once per browser profile. The figures are printed beside what the
// protocol's timers give (a member is away once silent a lease and the drift margin, a standby
// takes over a pulse after its last unanswered one, a client re-sends every retry interval) and
// held to the 2 s.
import { expect, test } from '@playwright/test';
import { DRIFT_MARGIN, TIMING_DEFAULTS as T } from '../../src/protocol/config.ts';
import { ANSWER_AGE_MAX_MS } from '../../src/tab/overview-rows.ts';
import type { ClusterModel } from '../../src/ui/cluster-model.ts';
import { card, clientCard, command, registryRow, startClient, startCm, viaCm } from './dashboard.ts';
import {
  actingFirst,
  expectValue,
  openFiveTabs,
  info,
  read,
  startStream,
  stopStream,
  streamLog,
  timedWrite,
  write,
} from './tab-cluster.ts';

/** A member silent this long (on the CM's clock) is away: its copies no longer hold up writes. */
const AWAY_MS = T.leaseMs * (1 + DRIFT_MARGIN);
/** The standby takes over after pulseMissesMax unanswered pulses, counted from its last answered one. */
const TAKEOVER_MS = (T.pulseMissesMax + 1) * T.pulseIntervalMs;
/** A request waits at most one retry interval after the CM that can serve it is there. */
const RETRY_MS = T.retryIntervalMs;
/**
 * What the issue asks of the lease default: the others write again within 2 s of a departure,
 * also when the acting CM fails after it. The sums above are what the protocol's timers give on
 * an idle machine; they are printed beside each figure, while the test holds the product to this
 * requirement, since a loaded machine delays every timer by a few tens of milliseconds.
 */
const RECOVERY_MAX_MS = 2000;
/**
 * Between two writes of a stream. Back-to-back writes from two clients keep every tab's main
 * thread busy (stalls of 250 ms measured on the dashboard): the test would time CPU starvation
 * instead of the lease and the failover. 20 ms still times them finely.
 */
const STREAM_GAP_MS = 20;

test("tab cluster: a client tab closes for good, then the primary's; writes go on within the lease and the failover, the overview tells the truth", async ({
  context,
}) => {
  test.setTimeout(120_000);
  const { cm1, cm2, c1, c2, c3 } = await openFiveTabs(context);
  expect(await write(c1, 'P1', 'one')).toMatchObject({ ok: true });
  expect(await write(c2, 'P2', 'two')).toMatchObject({ ok: true });
  expect(await write(c3, 'X', 'c3s')).toMatchObject({ ok: true });
  // c3 holds read copies of the pages the others will write.
  await expectValue(c3, 'P1', 'one');
  await expectValue(c3, 'P2', 'two');
  const overview = await context.newPage();
  await overview.goto('/?mode=overview');
  await expect(overview.getByLabel('c3 standing')).toHaveText(/^follows cm[12], epoch \d+ · lease runs$/);
  // A CPU-starved tab can miss pulses and cause an extra (safe) takeover: whichever CM acts is "the primary" here.
  for (const cm of [cm1, cm2]) {
    await expect
      .poll(async () => {
        const s = (await info(cm)).state;
        return s.role === 'cm' ? s.snapshot.members : [];
      })
      .toEqual(['c1', 'c2', 'c3']);
  }

  // A second tab of this browser cannot run c1 too: refused at once, and c1 runs on.
  const again = await context.newPage();
  await again.goto('/?mode=tab');
  const refusedFrom = Date.now();
  const prompt = again.getByRole('region', { name: 'this tab as a node' }).getByRole('textbox', { name: 'command' });
  await prompt.fill('restart c1');
  await prompt.press('Enter');
  await expect(again.getByRole('log')).toContainText(
    'error: c1 already runs in another tab of this browser: kill it there or close that tab first',
  );
  console.log(`tab mode: a second "restart c1" in this browser refused after ${Date.now() - refusedFrom} ms`);
  expect(await write(c1, 'S', 'still')).toMatchObject({ ok: true });
  await again.close();

  // c3's tab closes for good. c1's write to P1, whose copy c3 held, waits at most until c3 is away.
  const c3ClosedAt = Date.now();
  await c3.page.close();
  const w1 = await timedWrite(c1, 'P1', 'after-c3');
  const c3WriteMs = w1.doneAt - c3ClosedAt;
  expect(w1.result).toMatchObject({ ok: true });
  await expect(overview.getByLabel('c3 standing')).toHaveText(/^away \d+\.\d s \(cm[12] says\)$/);
  console.log(
    `tab mode: c3's tab closed → c1's write of a page c3 held a copy of acknowledged in ${c3WriteMs} ms (timers give ${AWAY_MS + RETRY_MS} ms)`,
  );
  expect(c3WriteMs).toBeLessThanOrEqual(RECOVERY_MAX_MS);
  const failed = await write(c2, 'X', 'mine-now');
  expect(failed).toMatchObject({ ok: false, away: 'c3' });
  if (!failed.ok) expect(failed.error).toMatch(/^page X unavailable: its owner c3 has been away for \d+\.\d s$/);

  const [primary, backup] = await actingFirst(cm1, cm2);
  // Watch the overview: when the primary's row stops saying "acting", and whether header and rows ever disagree.
  await overview.evaluate((primaryId) => {
    const w = window as unknown as { primarySince: number | null; disagreements: string[] };
    w.primarySince = null;
    w.disagreements = [];
    const check = (): void => {
      const header = document.querySelector('[aria-label="acting CM"]')?.textContent ?? '';
      const rows = ['cm1', 'cm2'].map((id) => [id, document.querySelector(`[aria-label="${id} standing"]`)?.textContent ?? ''] as const);
      const primaryRow = rows.find(([id]) => id === primaryId)?.[1] ?? '';
      if (w.primarySince === null && !primaryRow.startsWith('acting')) w.primarySince = Date.now();
      for (const [id, text] of rows) {
        if (text.startsWith('acting') && !header.startsWith(`acting CM: ${id},`)) w.disagreements.push(`${header} | ${id}: ${text}`);
      }
    };
    new MutationObserver(check).observe(document.body, { subtree: true, childList: true, characterData: true });
  }, primary.id);
  await startStream(c1, 'a', { pages: ['P1', 'P2'], gapMs: STREAM_GAP_MS });
  await startStream(c2, 'b', { pages: ['P2', 'P1'], gapMs: STREAM_GAP_MS });
  await expect.poll(async () => (await streamLog(c1)).filter((w) => w.ok && !w.local).length).toBeGreaterThan(3);
  const closedAt = Date.now();
  await primary.page.close();
  const goneAt = Date.now();
  await expect
    .poll(async () => [...(await streamLog(c1)), ...(await streamLog(c2))].some((w) => w.ok && !w.local && w.startedAt > goneAt))
    .toBe(true);
  const logs = [...(await stopStream(c1)), ...(await stopStream(c2))];
  const served = logs.filter((w) => w.ok && !w.local && w.startedAt > goneAt).sort((a, b) => a.doneAt - b.doneAt)[0];
  const servedMs = (served?.doneAt ?? NaN) - closedAt;
  const bound = TAKEOVER_MS + RETRY_MS;
  console.log(
    `tab mode: c3 gone, ${primary.id}'s tab closed → first write served by ${backup.id} in ${servedMs} ms (timers give takeover ${TAKEOVER_MS} + retry ${RETRY_MS} = ${bound} ms, c3 known away from the replies; ` +
      `${logs.filter((w) => w.ok).length} writes acknowledged, ${logs.filter((w) => !w.ok).length} failed: ${[...new Set(logs.filter((w) => !w.ok).map((w) => w.error))].join(' / ')})`,
  );
  expect(servedMs).toBeLessThanOrEqual(RECOVERY_MAX_MS);

  // The overview: the backup acts, the primary is not shown acting (and stopped being so within its window), c3 is away.
  await expect(overview.getByLabel('acting CM')).toHaveText(new RegExp(`^acting CM: ${backup.id}, epoch \\d+$`));
  await expect(overview.getByLabel(`${primary.id} standing`)).toHaveText(
    new RegExp(`^(not acting: ${backup.id} acts under the newer epoch \\d+|no answer for \\d+\\.\\d s.*)$`),
  );
  await expect(overview.getByLabel('c3 standing')).toHaveText(new RegExp(`^away \\d+\\.\\d s \\(${backup.id} says\\)$`));
  const seen = await overview.evaluate(() => {
    const w = window as unknown as { primarySince: number | null; disagreements: string[] };
    return { primarySince: w.primarySince, disagreements: w.disagreements };
  });
  // page.close() returns once the tab is gone; until then it may still answer a poll (a close
  // took 590 ms on a loaded machine), so the bound counts from then, the figure from both.
  const rowMs = (seen.primarySince ?? NaN) - goneAt;
  console.log(
    `overview: ${primary.id}'s tab closed → its row stopped saying "acting" ${rowMs} ms after the tab was gone (${rowMs + goneAt - closedAt} ms after the close began)`,
  );
  expect(seen.disagreements).toEqual([]);
  // An answer is not shown once it is a failure-detection window old (counted from the poll that
  // asked for it, so from before the tab was gone); a pulse interval more for the timer and the render.
  expect(rowMs).toBeLessThanOrEqual(ANSWER_AGE_MAX_MS + T.pulseIntervalMs);
  // Both clients read what one of the writes left, and agree; c3's page stays unavailable, naming it.
  for (const p of ['P1', 'P2']) {
    const r = await read(c1, p);
    expect(r.ok && [...logs.filter((w) => w.page === p).map((w) => w.value), 'after-c3', 'two'].includes(r.value ?? '')).toBe(true);
    if (r.ok) await expectValue(c2, p, r.value ?? '');
  }
  const still = await write(c1, 'X', 'no');
  expect(still).toMatchObject({ ok: false, away: 'c3' });

  // Kill from the overview: header and row agree at once.
  await overview.getByRole('button', { name: `Kill ${backup.id}` }).click();
  await expect(overview.getByLabel(`${backup.id} answer`)).toHaveText(`${backup.id} killed`);
  const [header, row] = await overview.evaluate(
    (id) => ['acting CM', `${id} standing`].map((l) => document.querySelector(`[aria-label="${l}"]`)?.textContent ?? ''),
    backup.id,
  );
  expect([header, row]).toEqual(['no acting CM answers', 'stopped']);
});

test('two dashboards in one browser cannot run one node twice; a killed worker or a closed tab frees the id', async ({ context }) => {
  const a = await context.newPage();
  await a.goto('/?debug');
  await startCm(a);
  await startCm(a, 'backup CM cm2');
  const c1 = await startClient(a, 'c1');
  const addressA = await a.evaluate(() => sessionStorage.getItem('ivy-tab-address'));
  const b = await context.newPage();
  await b.goto('/?debug');
  await expect(registryRow(b, 'cm1')).toContainText('running in another tab');
  // The second dashboard says, before anything is pressed, where the cluster runs.
  await expect(b.getByRole('note', { name: 'where the cluster runs' })).toHaveText(
    /^This cluster runs in another tab of this browser \(c1, cm1, cm2\): nodes started here reach only nodes of this tab\./,
  );
  await expect(a.getByRole('note', { name: 'where the cluster runs' })).toHaveCount(0);

  const status = b.getByRole('status', { name: 'cluster status' });
  for (const id of ['cm1', 'c1']) {
    const from = Date.now();
    await registryRow(b, id)
      .getByRole('button', { name: `Restart ${id}` })
      .click();
    await expect(status).toHaveText(
      `error: ${id} already runs in another tab of this browser (started by ${addressA}): kill it there first`,
    );
    console.log(`dashboard: Restart ${id} in a second tab refused after ${Date.now() - from} ms`);
  }
  await expect(card(b, 'primary CM cm1')).toHaveCount(0);
  // The first tab's nodes run on, unharmed.
  await expect(a.getByLabel('cm1 standing')).toHaveText('acting, epoch 1');
  await command(c1, 'writePage P1 first', 'P1 written: first (via the CM)');

  // Killed in the first tab (its worker terminated), cm1 may run in the second.
  await card(a, 'primary CM cm1').getByRole('button', { name: 'Kill' }).click();
  await expect(a.getByRole('status', { name: 'cluster status' })).toHaveText('killed cm1: its worker is terminated');
  await expect(registryRow(b, 'cm1')).toContainText('stopped');
  await registryRow(b, 'cm1').getByRole('button', { name: 'Restart cm1' }).click();
  await expect(status).toHaveText(/^started cm1 again with restartCM \(last epoch \d+\)$/);
  await expect(card(b, 'primary CM cm1')).toBeVisible();
  await expect(registryRow(a, 'cm1')).toContainText('running in another tab');
  const addressB = await b.evaluate(() => sessionStorage.getItem('ivy-tab-address'));
  await expect(registryRow(a, 'cm1')).toContainText(addressB ?? 'tab:');

  // The first tab closes: its client's id is free in the second.
  await a.close();
  await expect(registryRow(b, 'c1')).toContainText('stopped');
  await registryRow(b, 'c1').getByRole('button', { name: 'Restart c1' }).click();
  await expect(status).toHaveText(/^started client c1 again/);
  await expect(clientCard(b, 'c1')).toBeVisible();
});

test('worker cluster: kill a client and leave it down, then the acting CM; the others write again within the lease and the failover', async ({
  page,
}) => {
  await page.goto('/?debug');
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  const [c1, c2, c3] = [await startClient(page, 'c1'), await startClient(page, 'c2'), await startClient(page, 'c3')];
  await command(c1, 'writePage P1 one', 'P1 written: one (via the CM)');
  await command(c2, 'writePage P2 two', 'P2 written: two (via the CM)');
  await command(c3, 'writePage X c3s', 'X written: c3s (via the CM)');
  await command(c3, 'readPage P1', viaCm('P1: one'));
  await command(c3, 'readPage P2', viaCm('P2: two'));
  await expect(page.getByLabel('c3 lease')).toHaveText('lease runs');
  await expect(page.getByLabel('cm2 members')).toHaveText('members: c1, c2, c3');

  // c3 is killed and stays down; a write to a page it held a copy of waits only until it is away.
  const afterKill = await page.evaluate(async () => {
    const m = (window as unknown as { ivy: ClusterModel }).ivy;
    const killAt = performance.now();
    await m.kill('c3');
    const r = await m.cluster.get('c1')?.writePage('P2', 'after-c3');
    return { ms: performance.now() - killAt, ok: r?.ok ?? false };
  });
  console.log(
    `worker cluster: c3 killed → c1's write of a page c3 held a copy of acknowledged in ${afterKill.ms.toFixed(0)} ms (timers give ${AWAY_MS + RETRY_MS} ms)`,
  );
  expect(afterKill.ok).toBe(true);
  expect(afterKill.ms).toBeLessThanOrEqual(RECOVERY_MAX_MS);
  await expect(page.getByLabel('cm1 members')).toHaveText(/^members: c1, c2, c3 \(away \d+\.\d s\) forget$/);
  await expect(registryRow(page, 'c3')).toContainText(/stopped · away since \d\d:\d\d:\d\d/);

  // Now the acting CM dies; c1 and c2 write P1 and P2 in turn (every write needs the CM).
  const failover = await page.evaluate(async (gapMs) => {
    const m = (window as unknown as { ivy: ClusterModel }).ivy;
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    let killAt = Infinity;
    let servedAt: number | null = null;
    let stop = false;
    const errors = new Set<string>();
    const writer = async (client: string) => {
      for (let k = 0; !stop; k++) {
        const startedAt = performance.now();
        const r = await m.cluster
          .get(client)
          ?.writePage(k % 2 === 0 ? 'P1' : 'P2', `${client}x${k}`)
          .catch(() => null);
        if (r && !r.ok) errors.add(r.error);
        if (r?.ok && !r.local && startedAt > killAt && servedAt === null) servedAt = performance.now();
        await sleep(gapMs);
      }
    };
    const writers = [writer('c1'), writer('c2')];
    await sleep(300);
    killAt = performance.now();
    await m.kill('cm1');
    for (const end = killAt + 10_000; servedAt === null && performance.now() < end;) await sleep(5);
    stop = true;
    await Promise.all(writers);
    return { servedMs: servedAt === null ? null : servedAt - killAt, errors: [...errors] };
  }, STREAM_GAP_MS);
  const bound = TAKEOVER_MS + RETRY_MS;
  console.log(
    `worker cluster: c3 down, cm1 killed → first write served by cm2 in ${failover.servedMs?.toFixed(0)} ms ` +
      `(timers give takeover ${TAKEOVER_MS} + retry ${RETRY_MS} = ${bound} ms, c3 known away from the replies; failures meanwhile: ${failover.errors.join(' / ') || 'none'})`,
  );
  expect(failover.servedMs).not.toBeNull();
  expect(failover.servedMs ?? Infinity).toBeLessThanOrEqual(RECOVERY_MAX_MS);

  // The page c3 owned fails at once, naming the page, its owner and for how long it has been away.
  await expect(page.getByRole('status', { name: 'acting CM' })).toHaveText(/^acting CM: cm2, epoch \d+$/);
  await command(
    c1,
    'writePage X mine',
    /^error: writePage X failed: page X unavailable: c3, its holder on record, left before reporting to this CM \(away for \d+\.\d s\)$/,
  );
  // The others' pages keep working (c2 may still hold P1 from its stream, so the write may be local),
  // and a page nobody wrote reads as empty: cm2's record says c3 never had it.
  await command(c2, 'writePage P1 again', /^P1 written: again \((via the CM|local copy)\)$/);
  await command(c1, 'readPage Q', 'Q has not been written yet');
  await expect(page.getByLabel('cm2 members')).toHaveText(/^members: c1, c2, c3 \(away \d+\.\d s\) forget$/);
  await expect(registryRow(page, 'c3')).toContainText(/stopped · away since \d\d:\d\d:\d\d/);

  // The operator says c3 is gone for good: the page only it held is declared lost, and a write starts it over.
  await page.getByRole('button', { name: 'forget c3' }).click();
  await expect(page.getByLabel('cm2 output')).toContainText(
    'forgot c3: declared lost: X; a read of a lost page fails, a write starts it over',
  );
  await expect(page.getByLabel('cm2 members')).toHaveText('members: c1, c2');
  await command(c1, 'readPage X', 'error: readPage X failed: page X lost with client c3');
  await command(c1, 'writePage X mine', 'X written: mine (via the CM)');
});

test('worker cluster with replicas: 1: a client killed for good is forgotten, and its page comes back with its last write', async ({
  page,
}) => {
  await page.goto('/?debug&replicas=1');
  await startCm(page);
  const cm2 = await startCm(page, 'backup CM cm2');
  const [c1, c2] = [await startClient(page, 'c1'), await startClient(page, 'c2')];
  await command(c1, 'writePage P1 one', 'P1 written: one (via the CM)');
  // c1 owns P1 now, yet its write still goes to the CM: it is acknowledged once the CMs keep it.
  await command(c1, 'writePage P1 two', 'P1 written: two (via the CM)');
  await expect(page.getByLabel('cm1 replicas')).toHaveText(/^keeps replicas of 1 page\(s\)/);
  await expect(cm2.getByLabel('cm2 replicas')).toHaveText(/^keeps replicas of 1 page\(s\)/);

  await card(page, 'client c1').getByRole('button', { name: 'Kill c1' }).click();
  await expect(page.getByLabel('cm1 members')).toHaveText(/^members: c1 \(away \d+\.\d s\) forget, c2$/);
  await command(c2, 'readPage P1', /^error: readPage P1 failed: page P1 unavailable: its owner c1 has been away for \d+\.\d s$/);
  await page.getByRole('button', { name: 'forget c1' }).click();
  await expect(page.getByLabel('cm1 output')).toContainText('forgot c1: back from their replicas: P1');
  await command(c2, 'readPage P1', viaCm('P1: two'));
  await command(c2, 'writePage P1 three', 'P1 written: three (via the CM)');
  await command(c2, 'readPage P1', /^P1: three \((local copy|via the CM|via the CM; no copy kept until this client holds a lease)\)$/);
});
