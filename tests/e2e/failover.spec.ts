// Issue 4 in the browser: kill the primary CM during a stream of writes, see the backup take
// over, reboot the primary (restartCM) and the backup (restartBackup), with every
// acknowledged write read back correctly from another client each time.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { card, clientCard, command, formOp, registryRows, startClient, startCm, stateRows, viaCm } from './dashboard.ts';
import { acknowledged, anyOf, expectedValues, failures, startStream, stopStream, type WriteRecord } from './stream.ts';

const CLIENTS = ['c1', 'c2', 'c3'];
const PAGES = ['P1', 'P2'];

test.beforeEach(async ({ page }) => {
  await page.goto('/?debug');
});

function standing(page: Page, id: string): Locator {
  return page.getByLabel(`${id} standing`);
}

function actingLine(page: Page): Locator {
  return page.getByRole('status', { name: 'acting CM' });
}

/** Reads each page from a client other than the one whose write was acknowledged last. */
async function readBack(page: Page, log: WriteRecord[]): Promise<void> {
  const expected = expectedValues(log);
  expect([...expected.keys()].sort()).toEqual(PAGES);
  for (const [pageId, { values, writer }] of expected) {
    const reader = CLIENTS.find((c) => c !== writer) ?? '';
    await command(clientCard(page, reader), `readPage ${pageId}`, anyOf(pageId, values));
  }
}

async function restart(page: Page, id: string): Promise<void> {
  await registryRows(page)
    .getByRole('button', { name: `Restart ${id}`, exact: true })
    .click();
  await expect(page.getByRole('status', { name: 'cluster status' })).toContainText(new RegExp(`^started (client )?${id} again`));
}

test('kill the primary mid-stream, restartCM, kill and restartBackup: no acknowledged write lost', async ({ page }) => {
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  for (const c of CLIENTS) await startClient(page, c);
  await expect(standing(page, 'cm1')).toHaveText('acting, epoch 1');
  await expect(standing(page, 'cm2')).toHaveText('standby, epoch 1');

  await startStream(page, CLIENTS, PAGES, 'a');
  const beforeKill = await acknowledged(page, 0, 10);
  await card(page, 'primary CM cm1').getByRole('button', { name: 'Kill' }).click();
  await expect(standing(page, 'cm2')).toHaveText('acting, epoch 2');
  await expect(actingLine(page)).toHaveText('acting CM: cm2, epoch 2');
  await expect(standing(page, 'c1')).toHaveText('follows cm2, epoch 2');
  await acknowledged(page, beforeKill, 10);
  const first = await stopStream(page);
  // Requests in flight at the kill are retried with the same id and served by the new CM.
  expect(failures(first)).toEqual([]);
  await readBack(page, first);

  // The primary reboots during a second stream and takes the title back under a new epoch.
  await startStream(page, CLIENTS, PAGES, 'b');
  const beforeRestart = await acknowledged(page, 0, 5);
  await restart(page, 'cm1');
  await expect(standing(page, 'cm1')).toHaveText('acting, epoch 3');
  await expect(standing(page, 'cm2')).toHaveText('standby, epoch 3');
  await expect(actingLine(page)).toHaveText('acting CM: cm1, epoch 3 · cm2 standby');
  await acknowledged(page, beforeRestart, 5);
  const second = await stopStream(page);
  expect(failures(second)).toEqual([]);
  await readBack(page, second);

  // The backup dies and reboots as standby; the cluster keeps serving throughout.
  await card(page, 'backup CM cm2').getByRole('button', { name: 'Kill' }).click();
  await expect(card(page, 'backup CM cm2')).toHaveCount(0);
  await command(clientCard(page, 'c2'), 'writePage P3 during', 'P3 written: during (via the CM)');
  await restart(page, 'cm2');
  await expect(standing(page, 'cm2')).toHaveText('standby, epoch 3');
  await expect(standing(page, 'cm1')).toHaveText('acting, epoch 3');
  await command(clientCard(page, 'c3'), 'writePage P3 after', 'P3 written: after (via the CM)');
  await command(clientCard(page, 'c1'), 'readPage P3', viaCm('P3: after'));
  await readBack(page, second);
  // cm2 mirrors the acting CM's metadata again.
  await expect(stateRows(card(page, 'backup CM cm2')).filter({ hasText: /^P3/ })).toHaveText([/^P3\s*c3\s*c1\s*-\s*mirror$/]);
});

test('the cluster console restarts CMs as the seed prompt does', async ({ page }) => {
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  const c1 = await startClient(page, 'c1');
  await command(c1, 'writePage P1 one', 'P1 written: one (via the CM)');
  const console = page.getByRole('group', { name: 'cluster console' });
  await command(console, 'kill cm1', 'killed cm1: its worker is terminated');
  await expect(standing(page, 'cm2')).toHaveText('acting, epoch 2');
  await command(console, 'restartCM', 'started cm1 again with restartCM (last epoch 1)');
  await expect(standing(page, 'cm1')).toHaveText('acting, epoch 3');
  await command(console, 'kill cm2', 'killed cm2: its worker is terminated; cm1 no longer waits for it to record first writes');
  await command(console, 'restartBackup', 'started cm2 again with restartBackup (last epoch 3)');
  await expect(standing(page, 'cm2')).toHaveText('standby, epoch 3');
  await command(console, 'restartCM', /^error: cm1 is running in this tab/);
  await command(c1, 'readPage P1', 'P1: one (local copy)');
});

test('a restarted client keeps the pages it owned; with both CMs down a request fails clearly', async ({ page }) => {
  await startCm(page);
  const [c1, c2] = [await startClient(page, 'c1'), await startClient(page, 'c2')];
  await formOp(c1, 'Write', 'P1', 'kept', 'P1 written: kept (via the CM)');
  await c1.getByRole('button', { name: 'Kill' }).click();
  await expect(c1).toHaveCount(0);
  await restart(page, 'c1');
  await expect(page.getByRole('status', { name: 'cluster status' })).toHaveText('started client c1 again (1 owned page(s) persisted)');
  // Back as owner with read access: it asks the CM before it writes again (docs/fault-tolerance.md, rule 7).
  await expect(stateRows(clientCard(page, 'c1'))).toHaveText([/^P1\s*kept\s*read\s*yes$/]);
  await formOp(c2, 'Read', 'P1', '', viaCm('P1: kept'));

  await card(page, 'primary CM cm1').getByRole('button', { name: 'Kill' }).click();
  await expect(standing(page, 'c2')).toHaveText('follows cm1, epoch 1');
  await formOp(c2, 'Write', 'P2', 'x', /^error: writePage P2 failed: no central manager reachable/);
});
