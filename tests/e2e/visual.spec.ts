// The protocol views of the dashboard: the message sequence diagram, step mode, link faults,
// the invariant panel and replay. No timing assertions: each step waits for what it shows.
import { expect, test, type Locator, type Page } from '@playwright/test';
import { command, startClient, startCm, viaCm } from './dashboard.ts';

test.beforeEach(async ({ page }) => {
  await page.goto('/');
});

function protocol(page: Page): Locator {
  return page.locator('details.protocol');
}

function arrows(page: Page, code: string): Locator {
  return protocol(page).locator(`svg.seq g.msg[data-code="${code}"]`);
}

/** Types a command without waiting for its answer (it may be held in step mode). */
async function send(node: Locator, line: string): Promise<void> {
  const box = node.getByRole('textbox', { name: 'command' });
  await box.fill(line);
  await box.press('Enter');
}

test('a read fault shows as RQ, RF, RD, RC, and clicking the operation highlights its messages', async ({ page }) => {
  await startCm(page);
  const [c1, c2] = [await startClient(page, 'c1'), await startClient(page, 'c2')];
  await command(c1, 'writePage P1 hello', 'P1 written: hello (via the CM)');
  await command(c2, 'readPage P1', viaCm('P1: hello'));
  for (const code of ['RQ', 'RF', 'RD', 'RC']) await expect(arrows(page, code).first()).toBeVisible();
  await expect(arrows(page, 'RF').first()).toContainText('RF READ_FORWARD P1');

  await protocol(page).getByLabel('filter by page').selectOption('P1');
  // The live timeline rescales as the session's clock runs (pulses keep coming), so a bar a few
  // seconds old moves under a pointer that a loaded machine delivers late: the click goes to it.
  await protocol(page).locator('svg.timeline g.op', { hasText: 'R P1→hello' }).locator('rect').dispatchEvent('click');
  await expect(protocol(page).getByLabel('selected operation')).toContainText(/request c2:\d+/);
  await expect(protocol(page).locator('svg.seq g.msg.hl')).toHaveCount(4);
  await expect(protocol(page).locator('svg.seq g.msg.hl[data-code="RD"]')).toHaveCount(1);
});

test("step mode holds a write fault's invalidation until it is delivered by hand", async ({ page }) => {
  await startCm(page);
  const [c1, c2, c3] = [await startClient(page, 'c1'), await startClient(page, 'c2'), await startClient(page, 'c3')];
  await command(c1, 'writePage P1 a', 'P1 written: a (via the CM)');
  await command(c2, 'readPage P1', viaCm('P1: a'));
  const step = page.getByRole('group', { name: 'step mode' });
  await step.getByRole('checkbox', { name: 'step mode' }).check();

  await send(c3, 'writePage P1 b');
  const atCm = step.getByRole('group', { name: 'held at cm1' });
  await expect(atCm.locator('li[data-code="WQ"]')).toHaveCount(1);
  await atCm.getByRole('button', { name: /^deliver WQ WRITE_REQUEST P1/ }).click();
  // The CM invalidates c2's copy; the IV waits at c2, and the write is not done.
  const atC2 = step.getByRole('group', { name: 'held at c2' });
  await expect(atC2.locator('li[data-code="IV"]')).toHaveCount(1);
  await expect(arrows(page, 'IV').first()).toHaveClass(/pending/);
  await expect(c3.getByRole('log')).not.toContainText('P1 written: b');
  await atC2.getByRole('button', { name: /^deliver IV INVALIDATE P1/ }).click();
  await expect(arrows(page, 'IV').first()).toHaveClass(/delivered/);
  // Step through the rest (IC, WF, WD, WC) one message at a time.
  const next = step.getByRole('button', { name: 'Step', exact: true });
  for (const code of ['IC', 'WF', 'WD', 'WC']) {
    await expect(step.locator(`li[data-code="${code}"]`)).toHaveCount(1);
    await next.click();
  }
  await expect(c3.getByRole('log')).toContainText('P1 written: b (via the CM)');
  await step.getByRole('checkbox', { name: 'step mode' }).uncheck();
  await command(c2, 'readPage P1', viaCm('P1: b'));
});

test('a partitioned link loses what is sent into it, shows, and heals', async ({ page }) => {
  await startCm(page);
  const c1 = await startClient(page, 'c1');
  const links = page.getByRole('group', { name: 'link faults' });
  await links.getByLabel('link end a').selectOption('c1');
  await links.getByLabel('link end b').selectOption('cm1');
  await links.getByRole('button', { name: 'Partition' }).click();
  await expect(links.getByRole('list', { name: 'partitioned links' })).toContainText('c1 ✕ cm1');

  await send(c1, 'readPage P2');
  await expect(protocol(page).locator('svg.seq g.msg.lost[data-code="RQ"]').first()).toBeVisible();
  await expect(protocol(page).getByLabel('failure events')).toContainText('partitioned c1 ↔ cm1');
  await links.getByRole('button', { name: 'heal c1-cm1' }).click();
  await expect(links).toContainText('every link is up');
  // The client's retry goes through once the link is back.
  await expect(c1.getByRole('log')).toContainText('P2 has not been written yet');
});

test('the invariant panel shows the checks passing and the linearizability verdict', async ({ page }) => {
  await startCm(page);
  await startCm(page, 'backup CM cm2');
  const [c1, c2] = [await startClient(page, 'c1'), await startClient(page, 'c2')];
  await command(c1, 'writePage P1 x', 'P1 written: x (via the CM)');
  await command(c2, 'readPage P1', viaCm('P1: x'));
  await command(c2, 'readPage P1', 'P1: x (local copy)');
  const panel = page.getByRole('group', { name: 'invariants' });
  for (const name of ['one writer per page', 'copy set covers read holders', 'one acting CM per epoch']) {
    await expect(panel.locator('li.ok', { hasText: name })).toBeVisible();
  }
  await expect(panel.getByRole('status', { name: 'linearizability verdict' })).toHaveText(
    'linearizable: 3 operation(s), 3 completed, on 1 page(s)',
  );
});

const HISTORY = [
  { process: 1, type: 'invoke', f: 'write', key: 'P1', value: '1.1', time: 1 },
  { process: 1, type: 'ok', f: 'write', key: 'P1', value: '1.1', time: 4 },
  { process: 'nemesis', type: 'info', f: 'crash', value: 'cm1', time: 5 },
  { process: 2, type: 'invoke', f: 'read', key: 'P1', value: null, time: 6 },
  { process: 2, type: 'ok', f: 'read', key: 'P1', value: '1.1', time: 9 },
]
  .map((e) => JSON.stringify(e))
  .join('\n');

const TRANSCRIPT = [
  '1.500 c1->cm1 WRITE_REQUEST(WQ) P1 c1:1 e1',
  '2.000 cm1->c1 PAGE(WD) P1 c1:1 e1',
  '3.000 c1->cm1 WRITE_CONFIRMATION(WC) P1 c1:1 e1',
  '6.500 c2->cm1 READ_REQUEST(RQ) P1 c2:1 e1',
  '7.000 cm1->c1 READ_FORWARD(RF) P1 c2:1 e1',
  '7.500 c1->c2 PAGE(RD) P1 c2:1 e1',
  '8.000 c2->cm1 READ_CONFIRMATION(RC) P1 c2:1 e1',
].join('\n');

test('replay loads a simulator history and transcript and scrubs them with the time slider', async ({ page }) => {
  await page.getByRole('navigation', { name: 'views' }).getByRole('link', { name: 'Replay', exact: true }).click();
  const replay = page.getByRole('region', { name: 'replay' });
  await replay.getByLabel('recording files').setInputFiles([
    { name: 'run.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(HISTORY) },
    { name: 'run.txt', mimeType: 'text/plain', buffer: Buffer.from(TRANSCRIPT) },
  ]);
  await expect(replay.getByLabel('loaded run')).toContainText('7 message(s), 2 operation(s)');
  await expect(replay.locator('svg.seq g.msg')).toHaveCount(7);
  await expect(replay.locator('svg.timeline g.op.ok')).toHaveCount(2);
  await expect(replay.getByRole('status', { name: 'linearizability verdict' })).toContainText('linearizable: 2 operation(s)');

  await replay.getByRole('slider', { name: 'time' }).fill('450');
  await expect(replay.getByLabel('time shown')).toHaveText('3.6 ms');
  await expect(replay.locator('svg.seq g.msg')).toHaveCount(3);
  await expect(replay.locator('svg.timeline g.op')).toHaveCount(1);
  await expect(replay.getByLabel('failure events')).toHaveCount(0);
});

test('replay keeps the messages at the slider’s time in view in a long run, as the timelines beside it', async ({ page }) => {
  await page.getByRole('navigation', { name: 'views' }).getByRole('link', { name: 'Replay', exact: true }).click();
  const replay = page.getByRole('region', { name: 'replay' });
  // 300 read round trips, one a millisecond: far taller than the diagram's box.
  const lines: string[] = [];
  for (let i = 1; i <= 300; i++) {
    lines.push(`${i}.000 c2->cm1 READ_REQUEST(RQ) P1 c2:${i} e1`, `${i}.500 cm1->c2 REQUEST_FAILED(RX) P1 c2:${i} e1`);
  }
  await replay.getByLabel('recording files').setInputFiles([
    { name: 'run.jsonl', mimeType: 'application/x-ndjson', buffer: Buffer.from(HISTORY) },
    { name: 'run.txt', mimeType: 'text/plain', buffer: Buffer.from(lines.join('\n')) },
  ]);
  await expect(replay.getByLabel('loaded run')).toContainText('600 message(s)');
  const box = replay.locator('.seq-scroll');
  const view = () => box.evaluate((el) => ({ top: el.scrollTop, bottom: el.scrollTop + el.clientHeight, height: el.scrollHeight }));
  for (const step of ['300', '700']) {
    await replay.getByRole('slider', { name: 'time' }).fill(step);
    // The diagram ends at the slider's time, and its end is what is in view.
    await expect
      .poll(async () => {
        const v = await view();
        return v.height - v.bottom;
      })
      .toBeLessThanOrEqual(1);
    expect((await view()).top, `scrolled down at step ${step}`).toBeGreaterThan(0);
  }
});
