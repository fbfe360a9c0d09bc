// The tab-mode half of `npm run experiments`: scenario 1 (no faults), scenario 3 (the primary
// fails, then restarts) and the leave scenarios (a client tab closes for good, then maybe the
// acting CM's) with every node in its own tab, linked peer to peer by PeerJS over WebRTC through
// the PeerServer the preview server mounts. Each client tab runs its random operations in a loop
// inside the tab (timed there, on performance.timeOrigin + performance.now(), which tabs of one
// browser share); a CM's failure is closing its tab, its restart a new tab choosing restartCM.
// The result is made by the same code as in-page runs (src/experiments/result.ts).
import type { BrowserContext, Page } from '@playwright/test';
import type { OpRequest } from '../src/protocol/client.ts';
import { TIMING_DEFAULTS } from '../src/protocol/config.ts';
import type { NodeId } from '../src/protocol/ids.ts';
import type { OpResult } from '../src/protocol/node.ts';
import type { NodeState } from '../src/host/make-node.ts';
import type { AppliedFault, FaultLog } from '../src/experiments/fault-driver.ts';
import { holdingOp, holdings, holdsBoth, type LeavePlan } from '../src/experiments/leave.ts';
import { leaveLayout, ruleAfterLeave, ruleBeforeLeave, type LeaveLayout, type PageRule } from '../src/experiments/page-layout.ts';
import { randomOps } from '../src/experiments/ops.ts';
import { faultEvent } from '../src/experiments/record.ts';
import { scenarioResult } from '../src/experiments/result.ts';
import type { TabStepConfig } from '../src/experiments/suite.ts';
import type { FaultStep, ScenarioResult } from '../src/experiments/types.ts';
import { timedOp, type TimedOp } from '../src/experiments/workload-runner.ts';
import { sleep } from '../src/util/sleep.ts';
import { openNode } from '../scripts/tab-pages.ts';

type TabWindow = Window & { ivyTabStop?: boolean; ivyTabRule?: PageRule };
interface RawOp {
  /** Its place in the client's list (operations the page rule passed over are not run). */
  n: number;
  invokedAt: number;
  doneAt: number;
  r: OpResult;
}

/** Operations a leaving client tab may issue to come to hold a page and a copy before it leaves anyway. */
const LEAVE_OPS_MAX = 200;

async function poll<T>(what: string, get: () => Promise<T>, ok: (x: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const x = await get().catch(() => undefined as T);
    if (x !== undefined && ok(x)) return x;
    if (Date.now() > until) throw new Error(`tab mode: ${what} (waited ${timeoutMs} ms)`);
    await sleep(100);
  }
}

const cmRole = (page: Page): Promise<string> =>
  page.evaluate(() => {
    const s = (window as TabWindow).ivyTab!.node!.info().state;
    return s.role === 'cm' ? (s.snapshot.role ?? '') : 'client';
  });
const now = (page: Page): Promise<number> => page.evaluate(() => performance.timeOrigin + performance.now());

/**
 * The client's operations, issued in its tab from `startAt` until done, `stopAt` or told to stop;
 * those on pages its rule (page-layout.ts, changed by setRule) does not allow are passed over.
 */
function runInTab(page: Page, ops: OpRequest[], startAt: number, stopAt: number, rule: PageRule): Promise<RawOp[]> {
  return page.evaluate(
    async ({ ops, startAt, stopAt, rule }) => {
      const w = window as TabWindow;
      const node = w.ivyTab!.node!;
      w.ivyTabRule = rule;
      // (No named functions in here: tsx would wrap them in a helper the page does not have.)
      await new Promise((r) => setTimeout(r, Math.max(0, startAt - (performance.timeOrigin + performance.now()))));
      const out: Array<{ n: number; invokedAt: number; doneAt: number; r: OpResult }> = [];
      for (const [n, op] of ops.entries()) {
        const invokedAt = performance.timeOrigin + performance.now();
        if (w.ivyTabStop || invokedAt >= stopAt) break;
        const now = w.ivyTabRule ?? null;
        if (now !== null && !(op.kind === 'read' ? now.read : now.write).includes(op.page)) continue;
        const r = op.kind === 'read' ? await node.readPage(op.page) : await node.writePage(op.page, op.value);
        out.push({ n, invokedAt, doneAt: performance.timeOrigin + performance.now(), r });
        // Hits never wait: let the tab serve its links between them.
        if (r.ok && r.local) await new Promise((res) => setTimeout(res, 0));
      }
      return out;
    },
    { ops, startAt, stopAt: Number.isFinite(stopAt) ? stopAt : Number.MAX_VALUE, rule },
  );
}

/** Widens the pages the clients still running may use, as the faults happen. */
async function setRule(pages: readonly Page[], rule: PageRule): Promise<void> {
  await Promise.all(
    pages
      .filter((p) => !p.isClosed())
      .map((p) =>
        p.evaluate((r) => {
          (window as TabWindow).ivyTabRule = r;
        }, rule),
      ),
  );
}

/**
 * One step towards leaving (src/experiments/leave.ts, done from here): the tab carries out `op`,
 * then, in the same task, stops its node if it now owns a page and holds a copy (or `last`).
 */
function leaveStep(
  page: Page,
  op: OpRequest | null,
  last: boolean,
): Promise<{ raw: Omit<RawOp, 'n'> | null; state: NodeState; stopped: boolean; at: number }> {
  return page.evaluate(
    async ({ op, last }) => {
      const node = (window as TabWindow).ivyTab!.node!;
      let raw: { invokedAt: number; doneAt: number; r: OpResult } | null = null;
      if (op) {
        const invokedAt = performance.timeOrigin + performance.now();
        const r = op.kind === 'read' ? await node.readPage(op.page) : await node.writePage(op.page, op.value);
        raw = { invokedAt, doneAt: performance.timeOrigin + performance.now(), r };
      }
      // The same test as holdsBoth(holdings(...)), which the caller checks against this.
      const state = node.host.snapshot();
      const pages = state.role === 'client' ? state.snapshot.pages : [];
      const holds =
        state.role === 'client' &&
        state.snapshot.leased &&
        pages.some((p) => p.owner) &&
        pages.some((p) => !p.owner && p.access === 'read');
      if (holds || last) node.stop('left for good');
      return { raw, state, stopped: holds || last, at: performance.timeOrigin + performance.now() };
    },
    { op, last },
  );
}

interface Left {
  ops: TimedOp[];
  fault: AppliedFault;
}

/** The client tab comes to hold a page and a copy, stops its node and closes for good. */
async function leaveTab(page: Page, step: FaultStep, plan: LeavePlan, due: number): Promise<Left> {
  const ops: TimedOp[] = [];
  let op: OpRequest | null = null;
  for (let n = 0; ; n++) {
    const last = n >= plan.opsMax;
    const r = await leaveStep(page, op, last);
    if (op && r.raw) ops.push(timedOp(op, r.raw.invokedAt, r.raw.doneAt, r.raw.r));
    if (r.state.role !== 'client') throw new Error('tab mode: only a client leaves holding pages');
    const held = holdings(r.state.snapshot);
    if (!last && holdsBoth(held) !== r.stopped) throw new Error('tab mode: the tab and holdsBoth disagree on what the client holds');
    if (r.stopped) {
      await page.close();
      return { ops, fault: { step, at: r.at, applied: true, held, lateMs: r.at - due } };
    }
    op = holdingOp(held, plan, n);
  }
}

/** Closes the CM's tab: a crash. Only operations issued once the tab is surely gone count towards unavailability. */
async function killCmTab(page: Page, clock: Page, step: FaultStep, due: number): Promise<AppliedFault> {
  const role = await cmRole(page);
  await page.close();
  const at = await now(clock);
  return { step, at, roleWhenKilled: role, applied: true, lateMs: at - due };
}

interface Cluster {
  context: BrowserContext;
  cm1: Page;
  cm2: Page;
  clients: Page[];
}

async function primaryRestarts(k: Cluster, c: TabStepConfig, startAt: number, log: (s: string) => void): Promise<AppliedFault[]> {
  const clock = k.clients[0]!;
  const kill: FaultStep = { atMs: c.killAfterMs, action: 'kill', node: 'cm1' };
  await sleep(Math.max(0, startAt + c.killAfterMs - (await now(clock))));
  const killed = await killCmTab(k.cm1, clock, kill, startAt + c.killAfterMs);
  await poll(
    'cm2 takes over',
    () => cmRole(k.cm2),
    (r) => r === 'acting',
  );
  await sleep(c.restartAfterMs);
  const restarted = (await openNode(k.context, 'restartCM', 'cm1')).page;
  await poll(
    'the restarted cm1 acts again',
    () => cmRole(restarted),
    (r) => r === 'acting',
  );
  const restartAt = await now(clock);
  log(
    `  ${c.name}: cm1's tab closed at ${(killed.at - startAt).toFixed(0)} ms, restartCM acting at ${(restartAt - startAt).toFixed(0)} ms`,
  );
  return [killed, { step: { atMs: restartAt - startAt, action: 'restart', node: 'cm1' }, at: restartAt, applied: true }];
}

async function clientLeaves(
  k: Cluster,
  c: TabStepConfig,
  startAt: number,
  leaving: Promise<RawOp[]>,
  layout: LeaveLayout | null,
  log: (s: string) => void,
): Promise<{ faults: AppliedFault[]; ops: TimedOp[] }> {
  const leave = c.leave!;
  const n = Number(leave.client.slice(1));
  const page = k.clients[n - 1]!;
  await leaving;
  const step: FaultStep = { atMs: leave.afterMs, action: 'leave', node: leave.client };
  const rule = layout ? ruleBeforeLeave(layout, true) : null;
  const left = await leaveTab(page, step, { client: n, pages: c.pages, opsMax: LEAVE_OPS_MAX, rule }, startAt + leave.afterMs);
  if (layout) await setRule(k.clients, ruleAfterLeave(layout));
  const clock = k.clients.find((p) => p !== page)!;
  const held = left.fault.held;
  log(
    `  ${c.name}: ${leave.client}'s tab closed at ${(left.fault.at - startAt).toFixed(0)} ms holding ${held?.owned.join(', ')} and copies of ${held?.copies.join(', ')}`,
  );
  if (leave.cmFailsAfterMs === undefined) return { faults: [left.fault], ops: left.ops };
  const due = left.fault.at + leave.cmFailsAfterMs;
  await sleep(Math.max(0, due - (await now(clock))));
  const killed = await killCmTab(k.cm1, clock, { atMs: leave.afterMs + leave.cmFailsAfterMs, action: 'kill', node: 'cm1' }, due);
  if (layout) await setRule(k.clients, null);
  log(`  ${c.name}: cm1's tab closed at ${(killed.at - startAt).toFixed(0)} ms`);
  return { faults: [left.fault, killed], ops: left.ops };
}

/**
 * Runs a tab step in `context` (the experiments' own profile on disk: tabs of one profile share
 * its OPFS, as a person's would), on pages of its own, closed at the end. The page at `baseURL`
 * serves the app.
 */
export async function runTabScenario(
  context: BrowserContext,
  baseURL: string,
  c: TabStepConfig,
  log: (s: string) => void,
): Promise<ScenarioResult> {
  const opened = new Set<Page>();
  const track = (p: Page): void => {
    opened.add(p);
  };
  context.on('page', track);
  try {
    const cm1 = (await openNode(context, 'CM', 'cm1')).page;
    const cm2 = (await openNode(context, 'CM', 'cm2')).page;
    const clients: Page[] = [];
    for (let i = 1; i <= c.clients; i++) clients.push((await openNode(context, 'Client', `c${i}`)).page);
    const ids: NodeId[] = clients.map((_, i) => `c${i + 1}`);
    const k: Cluster = { context, cm1, cm2, clients };
    // The standby learns the members from pulse replies: it must know them all to take over.
    await poll(
      'the standby knows every client',
      () => cm2.evaluate(() => ((window as TabWindow).ivyTab!.node!.info().state.snapshot as { members?: string[] }).members ?? []),
      (m) => ids.every((id) => m.includes(id)),
    );
    log(`  ${c.name}: cm1, cm2 and ${c.clients} client tabs up`);
    const plans = clients.map((_, i) =>
      randomOps({ client: i + 1, pages: c.pages, readRatio: c.readRatio, count: c.opsPerClient, seed: c.seed }),
    );
    const startAt = (await now(clients[0]!)) + 500;
    const leaveAt = c.leave ? startAt + c.leave.afterMs : Infinity;
    const layout = c.leave?.pageClasses ? leaveLayout(c.pages, c.leave.cmFailsAfterMs !== undefined) : null;
    if (c.leave?.pageClasses && !layout) throw new Error(`${c.name}: too few pages for every page class`);
    const running = clients.map((p, i) => {
      const leaver = ids[i] === c.leave?.client;
      return runInTab(p, plans[i]!, startAt, leaver ? leaveAt : Infinity, layout ? ruleBeforeLeave(layout, leaver) : null);
    });
    const faults: AppliedFault[] = [];
    const leavingOps: TimedOp[] = [];
    if (c.restart) faults.push(...(await primaryRestarts(k, c, startAt, log)));
    if (c.leave) {
      const left = await clientLeaves(k, c, startAt, running[ids.indexOf(c.leave.client)]!, layout, log);
      faults.push(...left.faults);
      leavingOps.push(...left.ops);
    }
    if (faults.length > 0) {
      await sleep(c.tailMs);
      await Promise.all(
        clients
          .filter((p) => !p.isClosed())
          .map((p) =>
            p.evaluate(() => {
              (window as TabWindow).ivyTabStop = true;
            }),
          ),
      );
    }
    const raw = await Promise.all(running);
    const reports = raw.map((list, i) => ({
      node: ids[i]!,
      ops: [...list.map((x) => timedOp(plans[i]![x.n]!, x.invokedAt, x.doneAt, x.r)), ...(ids[i] === c.leave?.client ? leavingOps : [])],
    }));
    const faultLog: FaultLog = { faults, outages: [], nemesis: faults.map((f) => faultEvent(f.step.action, f.step.node, f.at)) };
    const isolated = await clients.find((p) => !p.isClosed())!.evaluate(() => globalThis.crossOriginIsolated);
    return scenarioResult({
      config: {
        name: c.name,
        clients: c.clients,
        pages: c.pages,
        readRatio: c.readRatio,
        opsPerClient: c.opsPerClient,
        seed: c.seed,
        backup: true,
        replication: 'streaming',
        faults: faults.map((f) => f.step),
        persist: true,
        keepHistory: true,
        // Tabs run with the default time limits.
        timing: { leaseMs: TIMING_DEFAULTS.leaseMs },
        ...(layout ? { pageClasses: true } : {}),
      },
      startAt,
      reports,
      log: faultLog,
      departed: new Set(c.leave ? [c.leave.client] : []),
      // Messages are not counted across tabs.
      sent: null,
      clockResolutionMs: isolated ? 0.005 : 0.1,
    });
  } finally {
    context.off('page', track);
    await Promise.all([...opened].map((p) => p.close().catch(() => {})));
  }
}
