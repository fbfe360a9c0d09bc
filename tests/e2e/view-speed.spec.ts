// How the protocol views hold up under a long run: a recording of 12,000 messages and 2,000
// operations loaded into Replay (the same views the live panel draws), against a baseline of
// 1,200 messages measured in the same run. Figures are printed, not asserted: what is asserted
// is what keeps them low, that only the part of the diagram on screen is drawn.
import { expect, test, type Page } from '@playwright/test';
import type { Recording } from '../../src/ui/session/recording.ts';
import type { OpTrace, TracedMessage } from '../../src/host/trace.ts';

const HOPS: [string, string, TracedMessage['type'], string][] = [
  ['c1', 'cm1', 'WRITE_REQUEST', 'WQ'],
  ['cm1', 'c2', 'INVALIDATE', 'IV'],
  ['c2', 'cm1', 'INVALIDATE_CONFIRMATION', 'IC'],
  ['cm1', 'c3', 'WRITE_FORWARD', 'WF'],
  ['c3', 'c1', 'PAGE', 'WD'],
  ['c1', 'cm1', 'WRITE_CONFIRMATION', 'WC'],
];

/** `ops` writes, each a write fault of six hops (sent, then received a little later on a skewed clock). */
function recording(ops: number): Recording {
  const messages: TracedMessage[] = [];
  const traces: OpTrace[] = [];
  for (let i = 0; i < ops; i++) {
    const t = i * 5;
    const req = `c1:${i + 1}`;
    const page = `P${i % 50}`;
    traces.push({ phase: 'invoke', opId: i, node: 'c1', kind: 'write', page, value: `v${i}`, at: t });
    traces.push({ phase: 'req', opId: i, node: 'c1', req, at: t + 0.1 });
    HOPS.forEach(([from, to, type, code], h) => {
      const at = t + h * 0.6;
      messages.push({ at, fate: 'sent', from, to, type, code, page, req, epoch: 1 });
      messages.push({ at: at + 0.3 - 1.5, arrivedAt: at + 0.2 - 1.5, fate: 'received', from, to, type, code, page, req, epoch: 1 });
    });
    traces.push({ phase: 'done', opId: i, node: 'c1', kind: 'write', page, at: t + 4, result: { ok: true, value: `v${i}`, local: false } });
  }
  return {
    format: 'ivy-web-recording',
    version: 1,
    exportedAt: new Date(0).toISOString(),
    messages,
    ops: traces,
    failures: [],
    history: [],
  };
}

interface Figures {
  messages: number;
  loadMs: number;
  idleMsMedian: number;
  scrollMsMedian: number;
  scrollMsMax: number;
  timerLateMsMax: number;
  drawnMax: number;
  laidOut: number;
}

async function measure(page: Page, rec: Recording): Promise<Figures> {
  return page.evaluate(async (text) => {
    type Updatable = HTMLElement & { updateComplete: Promise<boolean>; load(files: { name: string; text: string }[]): void };
    const frame = (): Promise<void> => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(() => r())));
    const settled = async (): Promise<void> => {
      for (const el of document.querySelectorAll<Updatable>('ivy-replay-view, ivy-run-views, ivy-sequence-diagram, ivy-op-timeline')) {
        await el.updateComplete;
      }
      await frame();
    };
    // The Replay mode's code loads when the mode first opens.
    await customElements.whenDefined('ivy-replay-view');
    const view = document.querySelector<Updatable>('ivy-replay-view');
    if (!view) throw new Error('no replay view');
    const t0 = performance.now();
    view.load([{ name: 'long.json', text }]);
    await settled();
    const loadMs = performance.now() - t0;
    const box = document.querySelector<HTMLElement>('.seq-scroll');
    if (!box) throw new Error('no diagram');
    const laidOut = Number(document.querySelector('svg.seq')?.getAttribute('height') ?? 0);
    const steps: number[] = [];
    const idle: number[] = [];
    const late: number[] = [];
    let drawnMax = 0;
    for (let i = 0; i <= 20; i++) {
      const s = performance.now();
      box.scrollTop = ((box.scrollHeight - box.clientHeight) * i) / 20;
      box.dispatchEvent(new Event('scroll'));
      await settled();
      steps.push(performance.now() - s);
      // The same wait with nothing to redraw: what a frame costs on this machine right now.
      const q = performance.now();
      await settled();
      idle.push(performance.now() - q);
      drawnMax = Math.max(drawnMax, document.querySelectorAll('svg.seq g.msg').length);
      const asked = performance.now();
      late.push(await new Promise<number>((r) => setTimeout(() => r(performance.now() - asked), 0)));
    }
    steps.sort((a, b) => a - b);
    idle.sort((a, b) => a - b);
    const messages = (JSON.parse(text) as { messages: unknown[] }).messages.length;
    return {
      messages,
      loadMs,
      idleMsMedian: idle[Math.floor(idle.length / 2)] ?? 0,
      scrollMsMedian: steps[Math.floor(steps.length / 2)] ?? 0,
      scrollMsMax: steps[steps.length - 1] ?? 0,
      timerLateMsMax: Math.max(...late),
      drawnMax,
      laidOut,
    };
  }, JSON.stringify(rec));
}

test('the diagram and timelines stay responsive with 12,000 messages (figures against 1,200 in the same run)', async ({ page }) => {
  test.setTimeout(120_000);
  await page.setViewportSize({ width: 1280, height: 900 });
  await page.goto('/?mode=replay');
  const base = await measure(page, recording(100));
  const big = await measure(page, recording(1000));
  for (const f of [base, big]) {
    console.log(
      `${f.messages} messages: load+render ${f.loadMs.toFixed(0)} ms; scroll step median ${f.scrollMsMedian.toFixed(1)} ms, ` +
        `max ${f.scrollMsMax.toFixed(1)} ms (an idle frame: ${f.idleMsMedian.toFixed(1)} ms); zero-delay timer late by at most ${f.timerLateMsMax.toFixed(1)} ms; ` +
        `at most ${f.drawnMax} arrows drawn of a ${f.laidOut} px tall diagram`,
    );
  }
  expect(big.messages).toBe(12_000);
  // Only what is on screen (and a margin) is drawn, however long the run.
  expect(big.drawnMax).toBeLessThan(200);
  await expect(page.getByLabel('loaded run')).toContainText('6000 message(s), 1000 operation(s)');
});
