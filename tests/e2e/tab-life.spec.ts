// A real browser's tab life, for tabs as nodes: a tab that leaves for another page and comes back
// rejoins as the node it was. Its node stops when the page is put away (its links close at once),
// and starts again from its store when the page is shown again: from the back/forward cache, or
// loaded anew when the browser evicted it from there (or discarded the tab).
import { chromium, expect, test } from '@playwright/test';
import { chromiumArgs, chromiumExecutablePath } from '../../scripts/chromium.ts';
import { expectValue, openNode, write } from './tab-cluster.ts';

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
