// Tabs as nodes in tabs a user is not looking at: hidden for real (background tabs of a headful
// Chromium on a virtual display, see hidden-browser.ts), where the browser throttles main-thread
// timers to one a second, and frozen as Chrome freezes a background tab (Page.setWebLifecycleState,
// the same freezing as its own). Hidden nodes keep their pace through their timer worker
// (metronome.worker.ts); a frozen one runs nothing at all, and the cluster must treat it as gone:
// its role and its leases lapse, and when it resumes it neither acts nor serves what it held.
import { expect, test } from '@playwright/test';
import { DRIFT_MARGIN, TIMING_DEFAULTS as T } from '../../src/protocol/config.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import { sleep } from '../../src/util/sleep.ts';
import { hiddenTabsUnavailable, launchHidden, openHiddenNode, visibility, type HiddenBrowser } from './hidden-browser.ts';
import { cmStatus, expectValue, read, standing, timedWrite, write, type NodeTab } from './tab-cluster.ts';

const unavailable = hiddenTabsUnavailable();
test.skip(unavailable !== null, unavailable ?? '');

/** Silence from the acting CM the standby sits out before it takes over (membership.spec.ts). */
const TAKEOVER_MS = (T.pulseMissesMax + 1) * T.pulseIntervalMs;
/** How long the acting CM stays frozen: past its role lease and every lease it granted. */
const FROZEN_MS = 4_000;
/** Silence after which the acting CM deems a client away. */
const AWAY_MS = T.leaseMs * (1 + DRIFT_MARGIN);

type PaceWindow = Window & { ivyPace?: Pace };
interface Pace {
  /** Date.now() of each frame received, by `TYPE from NODE`. */
  received: Record<string, number[]>;
  /** Date.now() of each frame sent, by `TYPE to NODE`. */
  sent: Record<string, number[]>;
  /** `at`: Date.now() when the line reached the page; `nodeAt`: when the node said it (its trace clock). */
  lines: Array<{ at: number; nodeAt: number; text: string }>;
  /** Page messages sent, with when each left (the node's trace clock, as a line's `nodeAt`). */
  pageSends: Array<{ nodeAt: number; type: string; to: string; page: string }>;
  /** Date.now() of each tick of a main-thread setInterval(…, 100). */
  ticks: number[];
  /** Date.now() of the page's freeze and resume events (Chrome's page lifecycle). */
  frozen: number[];
  resumed: number[];
}

type ResumeWindow = Window & { atResume?: { held: string; read: Promise<OpResult> } };

/** Records, inside the tab, when each frame came and went, what the node logged, and a main-thread timer's ticks. */
async function watch(tab: NodeTab): Promise<void> {
  await tab.page.evaluate(() => {
    const pace: Pace = { received: {}, sent: {}, lines: [], pageSends: [], ticks: [], frozen: [], resumed: [] };
    document.addEventListener('freeze', () => pace.frozen.push(Date.now()));
    document.addEventListener('resume', () => pace.resumed.push(Date.now()));
    (window as PaceWindow).ivyPace = pace;
    window.ivyTab!.node!.host.subscribe(
      (e) => {
        if (e.type === 'log') pace.lines.push({ at: Date.now(), nodeAt: e.at, text: e.text });
        if (e.type !== 'trace') return;
        const m = e.message;
        if (e.direction === 'sent' && m.page !== null) pace.pageSends.push({ nodeAt: m.at, type: m.type, to: m.to, page: m.page });
        const [book, key] = e.direction === 'received' ? [pace.received, `${m.type} from ${m.from}`] : [pace.sent, `${m.type} to ${m.to}`];
        (book[key] ??= []).push(Date.now());
      },
      ['trace', 'log'],
    );
    setInterval(() => pace.ticks.push(Date.now()), 100);
  });
}

function paceOf(tab: NodeTab): Promise<Pace> {
  return tab.page.evaluate(() => (window as PaceWindow).ivyPace!);
}

/** The longest gap between consecutive instants within [from, to] (the window's ends count as instants). */
function maxGap(times: readonly number[] | undefined, from: number, to: number): number {
  const inside = [from, ...(times ?? []).filter((t) => t >= from && t <= to), to];
  let max = 0;
  for (let i = 1; i < inside.length; i++) max = Math.max(max, inside[i]! - inside[i - 1]!);
  return max;
}

function countIn(times: readonly number[] | undefined, from: number, to: number): number {
  return (times ?? []).filter((t) => t >= from && t <= to).length;
}

/** Lines that tell of a takeover, a step-down, or a member deemed away. */
const UPHEAVAL = /taking over|acting above|steps down|deems \S+ away/;

/** cm1, cm2, c1 and c2, each in a hidden tab of its own (asserted hidden and unfocused). */
async function hiddenCluster(hb: HiddenBrowser): Promise<Record<'cm1' | 'cm2' | 'c1' | 'c2', NodeTab>> {
  const cm1 = await openHiddenNode(hb, 'CM', 'cm1');
  const cm2 = await openHiddenNode(hb, 'CM', 'cm2');
  const c1 = await openHiddenNode(hb, 'Client', 'c1');
  const c2 = await openHiddenNode(hb, 'Client', 'c2');
  for (const tab of [cm1, cm2, c1, c2]) {
    expect(await visibility(tab.page), `${tab.id}'s tab`).toEqual({ state: 'hidden', focus: false });
  }
  expect(await visibility(hb.front), 'the front tab').toMatchObject({ state: 'visible' });
  return { cm1, cm2, c1, c2 };
}

async function withHiddenBrowser(baseURL: string | undefined, body: (hb: HiddenBrowser) => Promise<void>): Promise<void> {
  const hb = await launchHidden(baseURL!);
  try {
    await body(hb);
  } finally {
    await hb.close();
  }
}

test('every node tab hidden: pulses and leases keep pace, no takeover, clients read and write', async ({ baseURL }) => {
  await withHiddenBrowser(baseURL, async (hb) => {
    await hb.front.goto(new URL('/?mode=overview', baseURL).href);
    const { cm1, cm2, c1, c2 } = await hiddenCluster(hb);
    expect(await cmStatus(cm1)).toEqual({ role: 'acting', epoch: 1 });
    expect(await write(c1, 'P1', 'start')).toMatchObject({ ok: true });
    await expectValue(c2, 'P1', 'start');
    const tabs = [cm1, cm2, c1, c2];
    for (const tab of tabs) await watch(tab);
    const from = Date.now();
    const periodMs = 20_000;
    let ops = 0;
    while (Date.now() < from + periodMs) {
      const [writer, reader] = ops % 2 === 0 ? [c1, c2] : [c2, c1];
      expect(await write(writer, 'P1', `v${ops}`)).toMatchObject({ ok: true });
      await expectValue(reader, 'P1', `v${ops}`);
      ops += 1;
      await sleep(1_000);
    }
    const to = Date.now();
    const [p1, p2, pc1, pc2] = await Promise.all(tabs.map(paceOf));

    const upheavals = [p1!, p2!, pc1!, pc2!].flatMap((p) => p.lines.filter((l) => UPHEAVAL.test(l.text)).map((l) => l.text));
    const gaps = {
      'PULSE_REPLY at cm2': maxGap(p2!.received['PULSE_REPLY from cm1'], from, to),
      'PULSE at cm1': maxGap(p1!.received['PULSE from cm2'], from, to),
      'LEASE from c1 at cm1': maxGap(p1!.received['LEASE from c1'], from, to),
      'LEASE from c2 at cm1': maxGap(p1!.received['LEASE from c2'], from, to),
      'LEASE_GRANT at c1': maxGap(pc1!.received['LEASE_GRANT from cm1'], from, to),
      'LEASE_GRANT at c2': maxGap(pc2!.received['LEASE_GRANT from cm1'], from, to),
    };
    const seconds = (to - from) / 1000;
    const pulses = countIn(p2!.received['PULSE_REPLY from cm1'], from, to);
    const ticks = [p1!, p2!, pc1!, pc2!].map((p) => countIn(p.ticks, from, to));
    const status = [await cmStatus(cm1), await cmStatus(cm2)];
    const takeovers = Math.max(...status.map((s) => s.epoch)) - 1;
    console.log(
      `all four node tabs hidden for ${seconds.toFixed(1)} s: ${takeovers} takeovers (${(takeovers / (seconds / 60)).toFixed(2)}/min), ` +
        `${upheavals.length} takeover/away lines, ${ops} write+read pairs; ${pulses} pulse replies at cm2 ` +
        `(${(pulses / seconds).toFixed(1)}/s); longest gaps: ${Object.entries(gaps)
          .map(([k, v]) => `${k} ${v} ms`)
          .join(', ')}; a main-thread setInterval(…, 100) in each node tab fired ${ticks.join(', ')} times ` +
        `(${ticks.map((t) => (t / seconds).toFixed(2)).join(', ')}/s)`,
    );
    // The hiding is real: the browser throttles the node tabs' own main-thread timers to about one a second.
    for (const t of ticks) expect(t).toBeLessThanOrEqual(seconds * 1.5);
    expect(upheavals).toEqual([]);
    expect(status).toEqual([
      { role: 'acting', epoch: 1 },
      { role: 'standby', epoch: 1 },
    ]);
    // The pace the protocol needs: the standby takes over after TAKEOVER_MS without a pulse reply,
    // the acting CM deems a client away after AWAY_MS without a heartbeat, and a client's copies
    // lapse after leaseMs without a grant.
    expect(gaps['PULSE_REPLY at cm2']).toBeLessThan(TAKEOVER_MS);
    expect(gaps['LEASE from c1 at cm1']).toBeLessThan(AWAY_MS);
    expect(gaps['LEASE from c2 at cm1']).toBeLessThan(AWAY_MS);
    expect(gaps['LEASE_GRANT at c1']).toBeLessThan(T.leaseMs);
    expect(gaps['LEASE_GRANT at c2']).toBeLessThan(T.leaseMs);
    await expect(hb.front.getByLabel('acting CM')).toHaveText('acting CM: cm1, epoch 1');
  });
});

test('a frozen acting CM is replaced by the standby, and steps down when it resumes', async ({ baseURL }) => {
  await withHiddenBrowser(baseURL, async (hb) => {
    const { cm1, cm2, c1, c2 } = await hiddenCluster(hb);
    expect(await cmStatus(cm1)).toEqual({ role: 'acting', epoch: 1 });
    expect(await write(c1, 'P1', 'before')).toMatchObject({ ok: true });
    await expectValue(c2, 'P1', 'before');
    for (const tab of [cm1, cm2]) await watch(tab);
    // Pulses seen before the freeze, to time the takeover from the last one answered.
    await sleep(1_000);

    const freezing = Date.now();
    await hb.setLifecycle(cm1.page, 'frozen');
    await expect.poll(() => cmStatus(cm2)).toEqual({ role: 'acting', epoch: 2 });
    // The others work on without it: a page it knew, written anew, and a new one.
    expect(await write(c2, 'P1', 'during')).toMatchObject({ ok: true });
    expect(await write(c1, 'P2', 'during')).toMatchObject({ ok: true });
    // Frozen well past every lease and role lease it granted, as a background tab stays frozen for minutes.
    await sleep(freezing + FROZEN_MS - Date.now());
    await hb.setLifecycle(cm1.page, 'active');
    await expect.poll(() => cmStatus(cm1)).toEqual({ role: 'standby', epoch: 2 });

    const p1 = await paceOf(cm1);
    const p2 = await paceOf(cm2);
    expect(p1.frozen.length, "cm1's freeze events").toBe(1);
    expect(p1.resumed.length, "cm1's resume events").toBe(1);
    const [frozenAt, resumedAt] = [p1.frozen[0]!, p1.resumed[0]!];
    const sentWhileFrozen = Object.values(p1.sent).reduce((n, times) => n + countIn(times, frozenAt + 1, resumedAt - 1), 0);
    const ticksWhileFrozen = countIn(p1.ticks, frozenAt + 1, resumedAt - 1);
    const lastReply = Math.max(...(p2.received['PULSE_REPLY from cm1'] ?? []).filter((t) => t <= frozenAt));
    const tookOver = p2.lines.find((l) => /taking over/.test(l.text))?.at ?? NaN;
    const steppedDown = p1.lines.find((l) => /steps down/.test(l.text))?.at ?? NaN;
    const inBetween = Object.entries(p1.sent).flatMap(([k, times]) => {
      const n = countIn(times, resumedAt, steppedDown);
      return n > 0 ? [`${k} ×${n}`] : [];
    });
    console.log(
      `cm1 frozen ${resumedAt - frozenAt} ms: ${ticksWhileFrozen} main-thread timer ticks, ${sentWhileFrozen} frames sent; ` +
        `cm2 took over ${tookOver - frozenAt} ms after the freeze (${tookOver - lastReply} ms after cm1's last pulse reply, ` +
        `takeover window ${TAKEOVER_MS} ms); cm1 stepped down ${steppedDown - resumedAt} ms after it resumed, ` +
        `having sent ${inBetween.join(', ') || 'nothing'} in between`,
    );
    expect(ticksWhileFrozen).toBe(0);
    expect(sentWhileFrozen).toBe(0);
    expect(tookOver).toBeLessThan(resumedAt);
    expect(await cmStatus(cm2)).toEqual({ role: 'acting', epoch: 2 });
    await expectValue(c1, 'P1', 'during');
    await expectValue(c2, 'P2', 'during');
    expect(await write(c1, 'P3', 'after')).toMatchObject({ ok: true });
    await expectValue(c2, 'P3', 'after');
    for (const c of [c1, c2]) expect(await standing(c), `${c.id} follows`).toBe('follows cm2 2');
  });
});

test('a frozen client tab never serves a stale read: its copy lapses with its lease, and a write goes on without it', async ({
  baseURL,
}) => {
  await withHiddenBrowser(baseURL, async (hb) => {
    const { cm1, c1, c2 } = await hiddenCluster(hb);
    expect(await write(c2, 'P1', 'old')).toMatchObject({ ok: true });
    // c1 holds a read copy under its lease: its reads are hits.
    await expect.poll(() => read(c1, 'P1')).toMatchObject({ ok: true, value: 'old', local: true });
    await watch(c1);
    await watch(cm1);
    // Heartbeats seen before the freeze, to time c1's absence from its last one.
    await sleep(1_000);
    // The first thing c1 does when it runs again, before the frames that waited for it: a read,
    // and a look at what its table holds then.
    await c1.page.evaluate(() => {
      const w = window as ResumeWindow;
      document.addEventListener(
        'resume',
        () => {
          const s = window.ivyTab!.node!.host.snapshot();
          const held = s.role === 'client' ? s.snapshot.pages.find((p) => p.page === 'P1') : undefined;
          w.atResume = {
            held: held ? `${held.access} copy holding ${held.content}` : 'nothing',
            read: window.ivyTab!.node!.readPage('P1'),
          };
        },
        { once: true },
      );
    });
    await hb.setLifecycle(c1.page, 'frozen');
    const { result: written, doneAt } = await timedWrite(c2, 'P1', 'new');
    expect(written).toMatchObject({ ok: true });
    await hb.setLifecycle(c1.page, 'active');
    const first = await c1.page.evaluate(async () => {
      const r = (window as ResumeWindow).atResume;
      return r ? { held: r.held, read: await r.read } : null;
    });
    const next = await read(c1, 'P1');
    const pc1 = await paceOf(c1);
    const pm = await paceOf(cm1);
    expect(pc1.frozen.length, "c1's freeze events").toBe(1);
    const frozenAt = pc1.frozen[0]!;
    const away = pm.lines.find((l) => /deems c1 away/.test(l.text));
    const lastHeard = Math.max(...(pm.received['LEASE from c1'] ?? []).filter((t) => t <= frozenAt));
    console.log(
      `c1 frozen ${(pc1.resumed[0] ?? NaN) - frozenAt} ms: c2's write acknowledged ${doneAt - frozenAt} ms after the freeze; ` +
        `cm1 deemed c1 away ${away ? away.at - frozenAt : NaN} ms after it (${away ? away.at - lastHeard : NaN} ms after c1's last heartbeat; ` +
        `away after ${AWAY_MS} ms); at the resume event c1 held ${first?.held} and read ${JSON.stringify(first?.read)}; ` +
        `its next read: ${JSON.stringify(next)}`,
    );
    // The write waited for c1's copy until its lease ran out, not a moment less. Judged on cm1's
    // own clock: the log line that says so may reach the page after the write's grant, since log
    // lines wait for every pending commit and the grant only for the page's.
    expect(away, 'cm1 deems c1 away').toBeDefined();
    const sinceAway = pm.pageSends.filter((m) => m.page === 'P1' && m.to === 'c2' && m.nodeAt >= away!.nodeAt);
    // Watched from before the freeze, so every such message since the write began is here.
    const beforeAway = pm.pageSends.filter((m) => m.page === 'P1' && m.to === 'c2' && m.nodeAt < away!.nodeAt);
    expect(sinceAway.length, "cm1's messages to c2 about P1 once c1 was away").toBeGreaterThan(0);
    expect(beforeAway, "cm1's messages to c2 about P1 since the watch began, before c1 was away").toEqual([]);
    expect(doneAt).toBeGreaterThanOrEqual(frozenAt);
    expect(first, 'the read at the resume event').not.toBeNull();
    expect(first!.read).not.toMatchObject({ value: 'old' });
    if (first!.read.ok) expect(first!.read).toMatchObject({ value: 'new' });
    expect(next).toMatchObject({ ok: true, value: 'new' });
  });
});
