import { expect, test } from '@playwright/test';
import { card, clientCard, command, formOp, registryRows, startClient, startCm, stateRows, viaCm } from './dashboard.ts';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

test('the seed scenario: write on c1, read on c2 and c3, write on c3, read on c1', async ({ page }) => {
  const cm = await startCm(page);
  const [c1, c2, c3] = [await startClient(page, 'c1'), await startClient(page, 'c2'), await startClient(page, 'c3')];

  await command(c1, 'readPage P1', 'P1 has not been written yet');
  await formOp(c1, 'Write', 'P1', 'Content1', 'P1 written: Content1 (via the CM)');
  await formOp(c2, 'Read', 'P1', '', viaCm('P1: Content1'));
  await command(c3, 'readPage P1', viaCm('P1: Content1'));

  // Li & Hudak: the writer stays owner, the readers join the copy set.
  await command(cm, 'print', 'cm1 metadata:');
  await expect(cm.getByRole('log')).toContainText('P1   | c1    | c2, c3   | -');
  await expect(stateRows(cm)).toHaveText([/^P1\s*c1\s*c2, c3\s*-\s*-$/]);
  await expect(stateRows(c1)).toHaveText([/^P1\s*Content1\s*read\s*yes$/]);

  await command(c3, 'writePage P1 Content2', 'P1 written: Content2 (via the CM)');
  // The write invalidated every other copy: c2 holds nothing now.
  await expect(stateRows(c2)).toHaveText(['no pages yet']);
  await command(c1, 'readPage P1', viaCm('P1: Content2'));
  await expect(stateRows(cm)).toHaveText([/^P1\s*c3\s*c1\s*-\s*-$/]);
  await command(c3, 'print', 'c3 page store:');
  await expect(c3.getByRole('log')).toContainText('P1   | Content2 | read   | yes');
});

test('bad commands, bad page ids and oversized content are refused and change nothing', async ({ page }) => {
  const cm = await startCm(page);
  const c1 = await startClient(page, 'c1');
  await command(c1, 'writePage P1 kept', 'P1 written: kept (via the CM)');
  const cmBefore = await stateRows(cm).allTextContents();
  const c1Before = await stateRows(c1).allTextContents();

  await command(
    c1,
    'deletePage P1',
    /^error: unknown command "deletePage"; usage: writePage <page> <content> \| readPage <page> \| x \(ten random requests\) \| print \| forget <member> \(on the acting CM\)$/,
  );
  await command(c1, 'readPage', /^error: readPage takes one page id; usage:/);
  await command(cm, 'frobnicate', /^error: unknown command "frobnicate"; usage:/);
  await command(c1, 'writePage bad/page x', /^error: writePage bad\/page failed: invalid page id "bad\/page"/);
  await formOp(c1, 'Read', 'no spaces allowed', '', /^error: readPage no spaces allowed failed: invalid page id/);
  const big = 'x'.repeat(5000);
  await formOp(c1, 'Write', 'P1', big, 'error: writePage P1 failed: content is 5000 characters, more than the page size of 4096 bytes');
  await command(c1, `writePage P2 ${big}`, /content is 5000 characters, more than the page size of 4096 bytes/);
  await command(cm, 'readPage P1', /^error: readPage P1 failed: cm1 is a central manager/);

  await expect(stateRows(cm)).toHaveText(cmBefore);
  await expect(stateRows(c1)).toHaveText(c1Before);
  await command(c1, 'readPage P1', 'P1: kept (local copy)');
});

test('page content is shown as text, never as markup', async ({ page }) => {
  const dialogs: string[] = [];
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  const hostile = '<img src=x onerror=alert(1)>';
  await command(c1, `writePage P1 ${hostile}`, `P1 written: ${hostile} (via the CM)`);
  await expect(stateRows(c1)).toHaveText([`P1${hostile}writeyes`]);
  await command(c1, 'print', 'c1 page store:');
  await expect(c1.getByRole('log')).toContainText(`P1   | ${hostile} | write  | yes`);
  await expect(page.locator('img')).toHaveCount(0);
  expect(dialogs).toEqual([]);
});

test('killing a client terminates its worker; the others carry on', async ({ page }) => {
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  const [worker] = await Promise.all([
    page.waitForEvent('worker'),
    page.getByRole('button', { name: 'Start client', exact: true }).click(),
  ]);
  const c2 = clientCard(page, 'c2');
  await expect(c2).toBeVisible();
  await command(c2, 'writePage P1 from-c2', 'P1 written: from-c2 (via the CM)');

  const closed = new Promise<void>((resolve) => worker.once('close', () => resolve()));
  await c2.getByRole('button', { name: 'Kill' }).click();
  await closed;
  await expect(c2).toHaveCount(0);
  await expect(page.getByRole('status', { name: 'cluster status' })).toHaveText('killed c2: its worker is terminated');
  await expect(registryRows(page).filter({ hasText: 'c2' })).toHaveText([/c2\s*client\s*stopped\s*this tab\s*no/]);
  await command(c1, 'writePage P2 alive', 'P2 written: alive (via the CM)');
});

test('the registry survives a reload, refuses a third CM, and Reset cluster empties it', async ({ page }) => {
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  await page.getByRole('button', { name: 'Start CM', exact: true }).click();
  await expect(page.getByRole('status', { name: 'cluster status' })).toContainText('a cluster has at most two');
  await startClient(page, 'c1');
  await startClient(page, 'c2');

  await page.reload();
  await expect(registryRows(page)).toHaveText([
    // A reloaded page is the same tab, and its workers are gone: every node is stopped.
    /^\s*cm1\s*primary CM\s*stopped\s*this tab\s*no\s*Restart\s*$/,
    /cm2\s*backup CM\s*stopped/,
    /c1\s*client\s*stopped/,
    /c2\s*client\s*stopped/,
  ]);
  await expect(registryRows(page).filter({ hasText: 'yes' })).toHaveCount(0);
  await expect(page.getByRole('region')).toHaveCount(0);
  await startClient(page, 'c3');

  await page.getByRole('button', { name: 'Reset cluster' }).click();
  await page.getByRole('alertdialog', { name: 'confirm reset' }).getByRole('button', { name: 'Cancel' }).click();
  await expect(registryRows(page)).toHaveCount(5);
  await page.getByRole('button', { name: 'Reset cluster' }).click();
  await page.getByRole('button', { name: 'Yes, reset' }).click();
  await expect(registryRows(page)).toHaveText(['nothing registered']);
  await expect(card(page, 'client c3')).toHaveCount(0);
  await startCm(page);
});

test('two pages racing "Start client" get distinct ids', async ({ context }) => {
  const [a, b] = [await context.newPage(), await context.newPage()];
  await Promise.all([a.goto('/'), b.goto('/')]);
  await Promise.all([a.getByRole('button', { name: 'Start client' }).click(), b.getByRole('button', { name: 'Start client' }).click()]);
  const heading = (p: typeof a) => p.getByRole('region').getByRole('heading');
  await expect(heading(a)).toHaveCount(1);
  await expect(heading(b)).toHaveCount(1);
  const ids = [await heading(a).textContent(), await heading(b).textContent()].sort();
  expect(ids).toEqual(['client c1', 'client c2']);
  await expect(registryRows(a)).toHaveCount(2);
});
