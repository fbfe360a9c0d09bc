// Every view at a desktop and a phone width, as a reader first sees it: screenshots to look at
// (IVY_SCREENSHOTS=dir keeps them, as docs/screenshots was made), and the checks a person would
// make by eye: nothing wider than the screen, no view empty, the navigation says where you are.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, openSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test, type Locator, type Page } from '@playwright/test';
import { command, startClient, startCm, viaCm } from './dashboard.ts';
import { openNode } from './tab-cluster.ts';

const SIZES = [
  { name: 'desktop', width: 1280, height: 900 },
  { name: 'phone', width: 390, height: 844 },
] as const;

const DIR = process.env.IVY_SCREENSHOTS ?? 'test-results/screenshots';

async function shoot(page: Page, name: string, size: (typeof SIZES)[number]['name']): Promise<void> {
  // The page itself never scrolls sideways; wide diagrams and tables scroll inside their boxes.
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  expect(overflow, `${name} at ${size} is wider than the screen`).toBeLessThanOrEqual(0);
  await page.evaluate(() => window.scrollTo(0, 0));
  await page.screenshot({ path: `${DIR}/${name}-${size}.png`, fullPage: true });
}

/** The element's right edge is within the screen's width (a table may scroll sideways in its box). */
async function expectOnScreen(page: Page, target: Locator, width: number): Promise<void> {
  await page.evaluate(() => window.scrollTo(0, 0));
  const box = await target.boundingBox();
  expect(box, 'the element is laid out').not.toBeNull();
  expect((box?.x ?? 0) + (box?.width ?? 0), `its right edge at ${width} px wide`).toBeLessThanOrEqual(width);
}

async function nav(page: Page, label: string): Promise<void> {
  await page.getByRole('navigation', { name: 'views' }).getByRole('link', { name: label, exact: true }).click();
  await expect(page.getByRole('navigation', { name: 'views' }).getByRole('link', { name: label, exact: true })).toHaveAttribute(
    'aria-current',
    'page',
  );
}

/** The dashboard at `size` with both CMs and clients c1, c2: c1 wrote P1, c2 read it. */
async function twoClients(page: Page, size: (typeof SIZES)[number]): Promise<[Locator, Locator]> {
  await page.setViewportSize(size);
  await page.goto('/');
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  const [c1, c2] = [await startClient(page, 'c1'), await startClient(page, 'c2')];
  await command(c1, 'writePage P1 hello', 'P1 written: hello (via the CM)');
  await command(c2, 'readPage P1', viaCm('P1: hello'));
  return [c1, c2];
}

for (const size of SIZES) {
  test(`the dashboard, protocol panel, replay and experiments at ${size.name} width`, async ({ page }) => {
    test.setTimeout(120_000);
    const [c1, c2] = await twoClients(page, size);
    await command(c2, 'writePage P2 world', 'P2 written: world (via the CM)');
    await command(c1, 'readPage P2', viaCm('P2: world'));
    await command(c1, 'writePage P1 again', 'P1 written: again (via the CM)');
    await expect(page.getByRole('status', { name: 'linearizability verdict' })).toContainText('linearizable: 5 operation(s)');
    await shoot(page, 'dashboard', size.name);

    const protocol = page.locator('details.protocol');
    const overflow = await protocol.evaluate((el) => el.scrollWidth - el.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await protocol.screenshot({ path: `${DIR}/protocol-${size.name}.png` });

    const [download] = await Promise.all([
      page.waitForEvent('download'),
      protocol.getByRole('button', { name: 'Export recording' }).click(),
    ]);
    const recording = await readFile(await download.path(), 'utf8');
    await writeFile(`${DIR}/session-${size.name}.json`, recording);
    await nav(page, 'Replay');
    const replay = page.getByRole('region', { name: 'replay' });
    await replay
      .getByLabel('recording files')
      .setInputFiles({ name: 'session.json', mimeType: 'application/json', buffer: Buffer.from(recording) });
    await expect(replay.getByLabel('loaded run')).toContainText('5 operation(s)');
    await expect(replay.getByRole('status', { name: 'linearizability verdict' })).toContainText('linearizable');
    await shoot(page, 'replay', size.name);

    await nav(page, 'Experiments');
    await expect(page.getByRole('region', { name: 'experiments' })).toBeVisible();
    await shoot(page, 'experiments', size.name);
  });

  test(`tab mode and the tab cluster overview at ${size.name} width`, async ({ context }) => {
    test.setTimeout(120_000);
    const prompt = await context.newPage();
    await prompt.setViewportSize(size);
    await prompt.goto('/?mode=tab');
    await expect(prompt.getByRole('region', { name: 'this tab as a node' })).toBeVisible();
    await shoot(prompt, 'tab-prompt', size.name);

    const cm = await openNode(context, 'CM', 'cm1');
    const client = await openNode(context, 'Client', 'c1');
    await client.page.setViewportSize(size);
    const card = client.page.getByRole('region', { name: 'client c1' });
    await card.getByLabel('page id').fill('P1');
    await card.getByLabel('content').fill('from a tab');
    await card.getByRole('button', { name: 'Write', exact: true }).click();
    // The page store shows the write in the same frame as its result, not half a second later.
    const tableAtResult = await client.page.waitForFunction(() => {
      const result = document.querySelector('output[aria-label="c1 result"]')?.textContent ?? '';
      return result.includes('written') ? (document.querySelector('table.state tbody')?.textContent ?? '') : false;
    });
    expect(await tableAtResult.jsonValue()).toContain('from a tab');
    await expect(card.getByLabel('c1 result')).toHaveText('P1 written: from a tab (via the CM)');
    await shoot(client.page, 'tab-client', size.name);

    const overview = await context.newPage();
    await overview.setViewportSize(size);
    await overview.goto('/?mode=overview');
    await expect(overview.getByRole('row', { name: 'node c1' })).toContainText('P1');
    await shoot(overview, 'overview', size.name);
    await cm.page.close();
  });

  test(`membership: a client away in the dashboard and in the tab overview at ${size.name} width`, async ({ page, context }) => {
    test.setTimeout(120_000);
    await twoClients(page, size);
    await startClient(page, 'c3');
    await page.getByRole('region', { name: 'client c3' }).getByRole('button', { name: 'Kill' }).click();
    await expect(page.getByLabel('cm1 members')).toHaveText(/c3 \(away \d+\.\d s\)/);
    await expect(page.getByLabel('c1 lease')).toHaveText('lease runs');
    await shoot(page, 'dashboard-membership', size.name);
    // Every action is on the screen without scrolling sideways: the registry's Restart too.
    await expectOnScreen(page, page.getByRole('button', { name: 'Restart c3' }), size.width);

    const cm = await openNode(context, 'CM', 'cm1');
    // Leases need a standby that acknowledges the acting CM (a lone CM in tab mode cannot know no standby acts).
    await openNode(context, 'CM', 'cm2');
    const t1 = await openNode(context, 'Client', 'c1');
    const t2 = await openNode(context, 'Client', 'c2');
    const overview = await context.newPage();
    await overview.setViewportSize(size);
    await overview.goto('/?mode=overview');
    await expect(overview.getByLabel('c2 standing')).toContainText('lease runs');
    await t2.page.close();
    // Said by the acting CM: cm1, unless a CPU-starved tab let cm2 take over (safe).
    await expect(overview.getByLabel('c2 standing')).toHaveText(/^away \d+\.\d s \(cm[12] says\)$/);
    await shoot(overview, 'overview-membership', size.name);
    await expectOnScreen(overview, overview.locator('.overview tbody tr').first().locator('td').last(), size.width);
    await t1.page.setViewportSize(size);
    await shoot(t1.page, 'tab-client-membership', size.name);
    await cm.page.setViewportSize(size);
    await shoot(cm.page, 'tab-cm-membership', size.name);
  });
}

test('a ten-client simulator run in Replay: every lane fits, no two labels of a timeline row overlap', async ({ page }) => {
  test.setTimeout(90_000);
  const dir = mkdtempSync(join(tmpdir(), 'ivy-sim-'));
  execFileSync(
    'npx',
    ['tsx', 'src/sim/cli.ts', '--seed', '3', '--clients', '10', '--ops', '2000', '--history', join(dir, 'run.jsonl'), '--transcript'],
    { stdio: ['ignore', openSync(join(dir, 'run.txt'), 'w'), 'ignore'] },
  );
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/?mode=replay');
  const replay = page.getByRole('region', { name: 'replay' });
  await replay.getByLabel('recording files').setInputFiles([join(dir, 'run.jsonl'), join(dir, 'run.txt')]);
  await expect(replay.getByLabel('loaded run')).toContainText('2000 operation(s)');
  const lanes = replay.locator('.seq-lanes span');
  await expect(lanes).toHaveText(['cm1', 'cm2', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6', 'c7', 'c8', 'c9', 'c10']);
  const fits = await replay.locator('ivy-sequence-diagram').evaluate((el) => {
    const svgBox = el.querySelector('svg.seq')?.getBoundingClientRect();
    return [...el.querySelectorAll('.seq-lanes span')].every((s) => (svgBox ? s.getBoundingClientRect().right <= svgBox.right : false));
  });
  expect(fits).toBe(true);
  const overlaps = await replay.locator('svg.timeline').evaluate((svgEl) => {
    const rows = new Map<number, DOMRect[]>();
    for (const t of svgEl.querySelectorAll<SVGTextElement>('g.op text')) {
      const r = t.getBoundingClientRect();
      const key = Math.round(r.top);
      rows.set(key, [...(rows.get(key) ?? []), r]);
    }
    let n = 0;
    for (const rs of rows.values()) {
      rs.sort((a, b) => a.left - b.left);
      for (let i = 1; i < rs.length; i++) if ((rs[i]?.left ?? 0) < (rs[i - 1]?.right ?? 0) - 0.5) n += 1;
    }
    return n;
  });
  expect(overlaps).toBe(0);
  await shoot(page, 'replay-simulator', 'desktop');
});
