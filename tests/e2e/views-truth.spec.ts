// The views tell the truth outside the happy path: after a reload, with oversized input, during
// a partition and a failover, with restarted clients' request ids. Each test replays what a new
// user did when the false alarm or the frozen page was seen.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { clientCard, command, formOp, registryRows, startClient, startCm, stateRows, viaCm } from './dashboard.ts';

function protocol(page: Page): Locator {
  return page.locator('details.protocol');
}

function verdict(page: Page): Locator {
  return page.getByRole('status', { name: 'linearizability verdict' });
}

async function restart(page: Page, id: string): Promise<void> {
  await registryRows(page)
    .getByRole('button', { name: `Restart ${id}`, exact: true })
    .click();
  await expect(page.getByRole('region', { name: id === 'cm1' ? 'primary CM cm1' : `client ${id}` })).toBeVisible();
}

test('after a reload and restarts, a read of a value written before the reload is not a false alarm; Reset clears the panel', async ({
  page,
}) => {
  await page.goto('/');
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  await startClient(page, 'c2');
  await startClient(page, 'c3');
  // Acknowledged means stored: c1's log holds the write before the answer leaves its worker.
  await command(c1, 'writePage P1 before-reload', 'P1 written: before-reload (via the CM)');

  await page.reload();
  for (const id of ['cm1', 'c1', 'c2', 'c3']) await restart(page, id);
  const c3 = clientCard(page, 'c3');
  await command(c3, 'readPage P1', viaCm('P1: before-reload'));
  await expect(verdict(page)).toHaveText('linearizable: 1 operation(s), 1 completed, on 1 page(s)');
  await expect(page.getByLabel('history begins mid-run')).toContainText("P1 from c1's persisted state");
  // Failure events strictly newest first, whichever source reported them.
  const times = (await page.getByLabel('failure events').locator('time').allTextContents()).map((t) => Number.parseFloat(t));
  expect(times.length).toBeGreaterThan(4);
  expect(times).toEqual([...times].sort((a, b) => b - a));
  // Request ids of restarted clients are shown readably, the full id in the tooltip.
  await expect(protocol(page).locator('svg.seq g.msg[data-code="RQ"] text').last()).toHaveText(/^RQ READ_REQUEST P1 c3:…\d{4}$/);

  await page.getByRole('button', { name: 'Reset cluster' }).click();
  await page.getByRole('button', { name: 'Yes, reset' }).click();
  await expect(verdict(page)).toHaveCount(0);
  await expect(protocol(page).locator('svg.seq g.msg')).toHaveCount(0);
  await expect(protocol(page).locator('summary')).toContainText('0 operation(s)');
});

test('refused input stays out of the views: a 10,000-character page id, a 1 MB content', async ({ page }) => {
  await page.goto('/');
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  const box = c1.getByRole('textbox', { name: 'command' });
  const lines = c1.getByRole('log').getByRole('listitem');
  await box.fill(`writePage ${'A'.repeat(10_000)} y`);
  await box.press('Enter');
  await expect(lines.last()).toHaveText(/^error: writePage A+… failed: invalid page id "A+\.\.\.: use 1-64 letters/);
  await box.fill(`writePage P4 ${'x'.repeat(1 << 20)}`);
  await box.press('Enter');
  await expect(lines.last()).toHaveText(/^error: writePage P4 failed: content is 1048576 [a-z]+.* page size .*\d+ bytes$/);
  // The echo is cut: no line of the console carries the megabyte.
  for (const text of await lines.allTextContents()) expect(text.length).toBeLessThan(500);

  await command(c1, 'writePage P1 fine', 'P1 written: fine (via the CM)');
  await expect(verdict(page)).toHaveText('linearizable: 1 operation(s), 1 completed, on 1 page(s)');
  await expect(protocol(page).getByLabel('filter by page').locator('option')).toHaveText(['all', 'P1']);
  await expect(protocol(page).locator('svg.timeline g.op')).toHaveCount(1);
  const timelineWidth = await protocol(page)
    .locator('svg.timeline')
    .evaluate((el) => el.getBoundingClientRect().width);
  expect(timelineWidth).toBeLessThan(2000);
  await command(c1, 'readPage P1', 'P1: fine (local copy)');
});

test('a client in a partition says it is retrying and why; the request filter is live and by prefix', async ({ page }) => {
  await page.goto('/');
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  await command(c1, 'writePage P1 a', 'P1 written: a (via the CM)');
  const links = page.getByRole('group', { name: 'link faults' });
  await links.getByLabel('link end a').selectOption('c1');
  await links.getByLabel('link end b').selectOption('cm1');
  await links.getByRole('button', { name: 'Partition' }).click();

  await formOp(c1, 'Read', 'P2', '', 'reading P2…');
  await expect(c1.getByRole('status', { name: 'c1 request in flight' })).toContainText(
    /request c1:\d+: attempt \d+ to cm1 lost, the link c1–cm1 is partitioned; retrying/,
  );
  await links.getByRole('button', { name: 'heal c1-cm1' }).click();
  await expect(c1.locator('output')).toHaveText('P2 has not been written yet');
  await expect(c1.getByRole('status', { name: 'c1 request in flight' })).toHaveCount(0);

  // Typing narrows the diagram at once (no Enter), to requests starting with what is typed.
  const filter = protocol(page).getByLabel('filter by request');
  await filter.fill('c1:1');
  await expect(protocol(page).locator('svg.seq g.msg').first()).toBeVisible();
  for (const label of await protocol(page).locator('svg.seq g.msg text').allTextContents()) expect(label).toMatch(/ c1:1\d*$/);
  await filter.fill('c9');
  await expect(protocol(page).locator('svg.seq g.msg')).toHaveCount(0);
});

test('during a failover that succeeds, the client shows no error; hints show what each console takes; form and command agree', async ({
  page,
}) => {
  await page.goto('/');
  const cm = await startCm(page);
  await startCm(page, 'backup CM cm2');
  // Each console suggests only what it accepts.
  await expect(page.getByRole('group', { name: 'cluster console' }).getByRole('textbox', { name: 'command' })).toHaveAttribute(
    'placeholder',
    /^1 · 2 · restartCM/,
  );
  await expect(cm.getByRole('textbox', { name: 'command' })).toHaveAttribute('placeholder', 'print · forget c3');
  const [c1, c2] = [await startClient(page, 'c1'), await startClient(page, 'c2')];
  await command(c1, 'writePage P1 a', 'P1 written: a (via the CM)');
  await page.getByRole('region', { name: 'primary CM cm1' }).getByRole('button', { name: 'Kill' }).click();
  const box = c2.getByRole('textbox', { name: 'command' });
  await box.fill('writePage P1 b');
  await box.press('Enter');
  // The retry through the new CM succeeds; what the host said meanwhile is a notice, not an error.
  await expect(c2.getByRole('log').getByRole('listitem').filter({ hasText: 'P1 written: b (via the CM)' })).toHaveCount(1);
  await expect(c2.getByRole('log').locator('.line.error')).toHaveCount(0);

  // Spaces are content, in the command box and the form alike; empty content is refused by both.
  await command(c1, 'writePage P2   padded ', 'P2 written:   padded  (via the CM)');
  const cell = stateRows(c1).filter({ hasText: 'P2' }).locator('td').nth(1);
  await expect(cell).toBeVisible();
  expect(await cell.textContent()).toBe('  padded ');
  await formOp(c1, 'Write', 'P3', '', /^error: writePage takes a page id and content/);
  await command(c1, 'writePage P3', /^error: writePage takes a page id and content/);
  // A read of a page nobody wrote leaves nothing to list in the page store.
  await command(c1, 'readPage P9', 'P9 has not been written yet');
  await expect(stateRows(c1).filter({ hasText: 'P9' })).toHaveCount(0);
});

test('the registry says what runs after a reload, and which tab registered it', async ({ page }) => {
  await page.goto('/');
  await startCm(page);
  await startClient(page, 'c1');
  await expect(registryRows(page).filter({ hasText: 'c1' })).toHaveText([/c1\s*client\s*running\s*this tab\s*yes/]);
  await page.reload();
  await expect(registryRows(page).filter({ hasText: 'c1' })).toHaveText([/c1\s*client\s*stopped\s*this tab\s*no\s*Restart/]);
});
