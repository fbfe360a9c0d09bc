// Packed placement in the dashboard (`?placement=packed`): nodes spread over one worker per core,
// neighbours in a worker linked in memory. Writes and reads cross nodes and workers; a client
// killed beside other nodes ends alone (its worker runs on for them), and restarts from what it
// stored (its pack's log wrote it a home file); after a Reset the packs, which run on, start
// nodes afresh.
import { expect, test, type Page } from '@playwright/test';
import { clientCard, command, registryRows, startClient, startCm, viaCm } from './dashboard.ts';

const runsIn = (page: Page, id: string) => page.getByLabel(`${id} runs in`);

test('a packed cluster: operations across nodes, a killed neighbour ends alone and restarts with its pages', async ({ page }) => {
  await page.goto('/?placement=packed');
  await expect(page.getByRole('combobox', { name: 'placement' })).toHaveValue('packed');
  const cores = await page.evaluate(() => Math.max(1, navigator.hardwareConcurrency || 1));
  await startCm(page);
  // More nodes than cores (and at least four clients): some clients share a worker.
  const ids = Array.from({ length: Math.max(4, cores) }, (_, i) => `c${i + 1}`);
  for (const id of ids) await startClient(page, id);

  const where = new Map<string, string>();
  for (const id of ['cm1', ...ids]) where.set(id, (await runsIn(page, id).textContent()) ?? '');
  expect([...where.values()].every((w) => /^pack-\d+$/.test(w))).toBe(true);
  expect(new Set(where.values()).size).toBe(cores);
  expect(page.workers()).toHaveLength(cores);
  const victim = ids.find((id) => ids.some((o) => o !== id && where.get(o) === where.get(id)));
  const neighbour = ids.find((o) => o !== victim && where.get(o) === where.get(victim ?? ''));
  if (!victim || !neighbour) throw new Error(`no two clients share a worker: ${JSON.stringify([...where])}`);
  const other = ids.find((o) => o !== victim && o !== neighbour) ?? '';

  // Pages the victim never touches stay available while it is gone; P2 is its own.
  await command(clientCard(page, neighbour), 'writePage P1 one', 'P1 written: one (via the CM)');
  await command(clientCard(page, other), 'readPage P1', viaCm('P1: one'));
  await command(clientCard(page, victim), 'writePage P2 kept', 'P2 written: kept (via the CM)');

  await clientCard(page, victim).getByRole('button', { name: 'Kill' }).click();
  await expect(page.getByRole('status', { name: 'cluster status' })).toHaveText(
    `killed ${victim}: its host in ${where.get(victim)} is stopped and dropped; the others there run on`,
  );
  await expect(clientCard(page, victim)).toHaveCount(0);
  // Its worker runs on for the nodes beside it.
  expect(page.workers()).toHaveLength(cores);
  await command(clientCard(page, neighbour), 'writePage P3 after', 'P3 written: after (via the CM)');
  await command(clientCard(page, other), 'readPage P3', viaCm('P3: after'));

  await registryRows(page)
    .getByRole('button', { name: `Restart ${victim}`, exact: true })
    .click();
  await expect(page.getByRole('status', { name: 'cluster status' })).toHaveText(
    `started client ${victim} again (1 owned page(s) persisted)`,
  );
  await expect(runsIn(page, victim)).toHaveText(/^pack-\d+$/);
  await command(clientCard(page, victim), 'readPage P2', 'P2: kept (local copy)');
  await command(clientCard(page, neighbour), 'readPage P2', viaCm('P2: kept'));
});

test('after Reset cluster, packs that run on start nodes afresh in a store made anew', async ({ page }) => {
  await page.goto('/?placement=packed');
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  await command(c1, 'writePage P1 before', 'P1 written: before (via the CM)');
  await page.getByRole('button', { name: 'Reset cluster' }).click();
  await page.getByRole('button', { name: 'Yes, reset' }).click();
  await expect(page.getByRole('status', { name: 'cluster status' })).toHaveText(
    'cluster reset: registry emptied, every node stopped and its state removed',
  );
  await startCm(page);
  const fresh = await startClient(page, 'c1');
  await expect(page.getByRole('status', { name: 'cluster status' })).toHaveText('started client c1');
  await command(fresh, 'readPage P1', 'P1 has not been written yet');
  await command(fresh, 'writePage P1 after', 'P1 written: after (via the CM)');
});

test('the placement select chooses where the next nodes run, and the address keeps it', async ({ page }) => {
  await page.goto('/');
  const select = page.getByRole('combobox', { name: 'placement' });
  await expect(select).toHaveValue('worker-per-node');
  await startCm(page);
  await expect(runsIn(page, 'cm1')).toHaveText('own worker');
  await select.selectOption('packed');
  await expect(page).toHaveURL(/\?placement=packed$/);
  await startClient(page, 'c1');
  await expect(runsIn(page, 'c1')).toHaveText('pack-1');
  await command(clientCard(page, 'c1'), 'writePage P1 mixed', 'P1 written: mixed (via the CM)');
  await page.goto('/?placement=sideways');
  await expect(page.getByText('placement must be one of worker-per-node, packed')).toBeVisible();
});
