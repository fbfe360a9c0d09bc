// Tab mode never leaves a person looking at greyed buttons in silence: every wait of choosing a
// node says what it waits for, and every attempt ends in a node or a clear error.
import { expect, test, type Page } from '@playwright/test';
import { openNode } from './tab-cluster.ts';

async function choose(page: Page, word: string): Promise<void> {
  await page.goto('/?mode=tab');
  await page.getByRole('group', { name: 'node type' }).getByRole('button', { name: word, exact: true }).click();
}

/** The prompt console's lines so far. */
function lines(page: Page): Promise<string[]> {
  return page.getByRole('log').getByRole('listitem').allTextContents();
}

/** Waits for a line matching `last`, and checks that a line matching `before` came earlier. */
async function saysBefore(page: Page, before: RegExp, last: RegExp): Promise<void> {
  await expect
    .poll(async () => (await lines(page)).some((l) => last.test(l)), { timeout: 20_000, message: `a line matching ${String(last)}` })
    .toBe(true)
    .catch(async (e: Error) => {
      throw new Error(`${e.message}\nthe console said: ${JSON.stringify(await lines(page))}`);
    });
  const all = await lines(page);
  const end = all.findIndex((l) => last.test(l));
  const wait = all.findIndex((l) => before.test(l));
  expect(wait, `"${String(before)}" before "${String(last)}" in ${JSON.stringify(all)}`).toBeGreaterThanOrEqual(0);
  expect(wait).toBeLessThan(end);
}

test('every wait of choosing a node says what it waits for, and ends in a node or a clear error', async ({ browser }) => {
  test.setTimeout(90_000);
  const context = await browser.newContext();
  try {
    // A client with no CM running: it says whom it asks, then that nobody acts.
    const lone = await context.newPage();
    await choose(lone, 'Client');
    await saysBefore(lone, /^asking the acting CM for a client id/, /^error: no acting central manager answered/);
    await expect(lone.getByRole('button', { name: 'Client', exact: true })).toBeEnabled();

    // The first CM: it says it asks the CMs and claims its id.
    const cm1 = await openNode(context, 'CM', 'cm1');
    await saysBefore(cm1.page, /^asking cm1 and cm2 what runs/, /^cm1 runs in this tab/);
    await saysBefore(cm1.page, /^claiming cm1 on the PeerServer/, /^cm1 runs in this tab/);
    const cm2 = await openNode(context, 'CM', 'cm2');

    // Restarting a CM that runs is refused, with the reason, after saying what it asked.
    const again = await context.newPage();
    await choose(again, 'restartCM');
    await saysBefore(again, /^asking cm1 and cm2 what runs/, /^error: cm1 (is running|already runs) in another tab/);
    const backup = await context.newPage();
    await choose(backup, 'restartBackup');
    // Refused by the CMs' answer or, in this browser, by the lock on cm2's id: either names the tab.
    await saysBefore(backup, /^asking cm1 and cm2 what runs/, /^error: cm2 (is running|already runs) in another tab/);
    await expect(cm2.page.getByLabel('cm2 standing')).toHaveText(/^standby, epoch \d+$/);
  } finally {
    await context.close();
  }
});
