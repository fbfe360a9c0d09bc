// A real browser's tab life, for tabs as nodes: frozen tabs (as Chrome freezes background tabs)
// neither serve stale reads nor keep a CM's role, and a tab that leaves for another page and comes back
// rejoins as the node it was. Its node stops when the page is put away (its links close at once),
// and starts again from its store when the page is shown again: from the back/forward cache, or
// loaded anew when the browser evicted it from there (or discarded the tab).
import { chromium, expect, test } from '@playwright/test';
import { chromiumArgs, chromiumExecutablePath } from '../../scripts/chromium.ts';
import { cmStatus, expectValue, openNode, read, settledPair, write } from './tab-cluster.ts';

test('a client tab that goes to another page and comes back from the back/forward cache rejoins as its node', async ({ baseURL }) => {
  // Playwright starts Chromium with the back/forward cache off; this browser keeps it, as users' do.
  const browser = await chromium.launch({
    executablePath: chromiumExecutablePath,
    args: chromiumArgs,
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
  });
  try {
    const context = await browser.newContext({ baseURL });
    await openNode(context, 'CM', 'cm1');
    await openNode(context, 'CM', 'cm2');
    const c1 = await openNode(context, 'Client', 'c1');
    const c2 = await openNode(context, 'Client', 'c2');
    expect(await write(c1, 'P1', 'before')).toMatchObject({ ok: true });

    const page = c1.page;
    const notCached: string[] = [];
    const cdp = await context.newCDPSession(page);
    await cdp.send('Page.enable');
    cdp.on('Page.backForwardCacheNotUsed', (e) => notCached.push(JSON.stringify(e.notRestoredExplanations)));
    await page.goto('/ivy-config.json');
    // A page shown from the cache fires no load event: wait only for the navigation to commit.
    await page.goBack({ waitUntil: 'commit' });
    await expect(page.getByRole('log', { name: 'c1' })).toContainText(/it rejoins \(restart c1\)/, { timeout: 15_000 });
    await expect(page.getByLabel('c1 standing')).not.toHaveText('stopped', { timeout: 15_000 });
    // The same document shown again keeps its first navigation's entry; a page loaded anew has its own.
    const how = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).type);
    const why = notCached.length > 0 ? ` (not cached: ${notCached.join(' ')})` : '';
    console.log(
      `tab c1 went to another page and back: ${how === 'back_forward' ? `loaded anew${why}` : 'shown from the back/forward cache'}`,
    );
    // Its page survived in its store, and the others' writes reach it again.
    await expectValue(c1, 'P1', 'before');
    expect(await write(c2, 'P1', 'after')).toMatchObject({ ok: true });
    await expectValue(c1, 'P1', 'after');
  } finally {
    await browser.close();
  }
});

test('a frozen client tab never serves a stale read; a frozen acting CM is replaced, and steps down when it resumes', async ({
  context,
}) => {
  test.setTimeout(90_000);
  const cm1 = await openNode(context, 'CM', 'cm1');
  const cm2 = await openNode(context, 'CM', 'cm2');
  const c1 = await openNode(context, 'Client', 'c1');
  const c2 = await openNode(context, 'Client', 'c2');
  expect(await write(c1, 'P1', 'a')).toMatchObject({ ok: true });
  // c2 holds a read copy under its lease: its reads are hits.
  await expect.poll(() => read(c2, 'P1'), { timeout: 10_000 }).toMatchObject({ ok: true, value: 'a', local: true });

  // Frozen as Chrome freezes a background tab: no script runs in it, its timers stand still.
  const c2Life = await context.newCDPSession(c2.page);
  await c2Life.send('Page.setWebLifecycleState', { state: 'frozen' });
  const frozenAt = Date.now();
  // The write waits for c2's invalidation only until c2 is away (its lease ran out on both clocks).
  expect(await write(c1, 'P1', 'b')).toMatchObject({ ok: true, value: 'b' });
  console.log(`c2 frozen: c1's write acknowledged ${Date.now() - frozenAt} ms later`);
  await c2Life.send('Page.setWebLifecycleState', { state: 'active' });
  // Resumed, c2's first read is not its old copy: that copy's lease ran out while it was frozen.
  expect(await read(c2, 'P1')).toMatchObject({ ok: true, value: 'b' });

  const { acting, standby, epoch } = await settledPair(cm1, cm2);
  const cmLife = await context.newCDPSession(acting.page);
  await cmLife.send('Page.setWebLifecycleState', { state: 'frozen' });
  await expect.poll(async () => cmStatus(standby), { timeout: 15_000 }).toMatchObject({ role: 'acting' });
  expect((await cmStatus(standby)).epoch).toBeGreaterThan(epoch);
  expect(await write(c1, 'P2', 'during')).toMatchObject({ ok: true, value: 'during' });
  await cmLife.send('Page.setWebLifecycleState', { state: 'active' });
  // The old CM hears of the newer epoch and stands by; nothing it did while frozen counts.
  await expect.poll(async () => (await cmStatus(acting)).role, { timeout: 15_000 }).toBe('standby');
  await expectValue(c2, 'P2', 'during');
  await expectValue(c2, 'P1', 'b');
});
