// The tab-mode half of `npm run experiments`: scenarios 1 (no faults) and 3 (the primary fails,
// then restarts) with every node in its own tab, linked peer to peer by PeerJS over WebRTC
// through the PeerServer the preview server mounts. Each client tab runs its random operations
// in a loop inside the tab (timed there, on performance.timeOrigin + performance.now(), which
// tabs of one browser share); the primary's "failure" is closing its tab, its restart a new
// tab choosing restartCM. The history is merged and checked by the same code as in-page runs.
import type { Browser, Page } from '@playwright/test';
import type { OpRequest } from '../src/protocol/client.ts';
import type { OpResult } from '../src/protocol/node.ts';
import { checkLinearizable } from '../src/sim/checker.ts';
import type { NemesisEvent } from '../src/sim/history.ts';
import { randomOps } from '../src/experiments/ops.ts';
import { faultEvent, mergeHistory } from '../src/experiments/record.ts';
import { errorTally, faultLatency, latencyByClass, unavailableMs } from '../src/experiments/stats.ts';
import type { TabStepConfig } from '../src/experiments/suite.ts';
import type { FaultReport, ScenarioResult } from '../src/experiments/types.ts';
import { timedOp, type TimedOp } from '../src/experiments/workload-runner.ts';
import { sleep } from '../src/util/sleep.ts';
import { openNode } from './tab-pages.ts';

type TabWindow = Window & { ivyTabStop?: boolean };
interface RawOp { invokedAt: number; doneAt: number; r: OpResult }

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
  page.evaluate(() => { const s = (window as TabWindow).ivyTab!.node!.info().state; return s.role === 'cm' ? s.snapshot.role ?? '' : 'client'; });
const now = (page: Page): Promise<number> => page.evaluate(() => performance.timeOrigin + performance.now());

/** The client's operations, issued in its tab from `startAt` until done or told to stop. */
function runInTab(page: Page, ops: OpRequest[], startAt: number): Promise<RawOp[]> {
  return page.evaluate(async ({ ops, startAt }) => {
    const w = window as TabWindow;
    const node = w.ivyTab!.node!;
    // (No named functions in here: tsx would wrap them in a helper the page does not have.)
    await new Promise((r) => setTimeout(r, Math.max(0, startAt - (performance.timeOrigin + performance.now()))));
    const out: Array<{ invokedAt: number; doneAt: number; r: OpResult }> = [];
    for (const op of ops) {
      if (w.ivyTabStop) break;
      const invokedAt = performance.timeOrigin + performance.now();
      const r = op.kind === 'read' ? await node.readPage(op.page) : await node.writePage(op.page, op.value);
      out.push({ invokedAt, doneAt: performance.timeOrigin + performance.now(), r });
      // Hits never wait: let the tab serve its links between them.
      if (r.ok && r.local) await new Promise((res) => setTimeout(res, 0));
    }
    return out;
  }, { ops, startAt });
}

export async function runTabScenario(browser: Browser, baseURL: string, c: TabStepConfig, log: (s: string) => void): Promise<ScenarioResult> {
  const context = await browser.newContext({ baseURL });
  try {
    const cm1 = (await openNode(context, 'CM', 'cm1')).page;
    const cm2 = (await openNode(context, 'CM', 'cm2')).page;
    const clients: Page[] = [];
    for (let i = 1; i <= c.clients; i++) clients.push((await openNode(context, 'Client', `c${i}`)).page);
    const ids = clients.map((_, i) => `c${i + 1}`);
    // The standby learns the members from pulse replies: it must know them all to take over.
    await poll('the standby knows every client', () => cm2.evaluate(() => ((window as TabWindow).ivyTab!.node!.info().state.snapshot as { members?: string[] }).members ?? []),
      (m) => ids.every((id) => m.includes(id)));
    log(`  ${c.name}: cm1, cm2 and ${c.clients} client tabs up`);
    const plans = clients.map((_, i) => randomOps({ client: i + 1, pages: c.pages, readRatio: c.readRatio, count: c.opsPerClient, seed: c.seed }));
    const startAt = (await now(clients[0]!)) + 500;
    const running = Promise.all(clients.map((p, i) => runInTab(p, plans[i]!, startAt)));
    const nemesis: NemesisEvent[] = [];
    const faults: FaultReport[] = [];
    let killAt = 0;
    if (c.restart) {
      await sleep(Math.max(0, startAt + c.killAfterMs - (await now(clients[0]!))));
      const role = await cmRole(cm1);
      await cm1.close();
      // Only operations issued once the tab is surely gone count towards unavailability.
      killAt = await now(clients[0]!);
      nemesis.push(faultEvent('kill', 'cm1', killAt));
      faults.push({ atMs: killAt - startAt, action: 'kill', node: 'cm1', roleWhenKilled: role, applied: true });
      await poll('cm2 takes over', () => cmRole(cm2), (r) => r === 'acting');
      await sleep(c.restartAfterMs);
      const restarted = (await openNode(context, 'restartCM', 'cm1')).page;
      await poll('the restarted cm1 acts again', () => cmRole(restarted), (r) => r === 'acting');
      const restartAt = await now(clients[0]!);
      nemesis.push(faultEvent('restart', 'cm1', restartAt));
      faults.push({ atMs: restartAt - startAt, action: 'restart', node: 'cm1', applied: true });
      log(`  ${c.name}: cm1's tab closed at ${(killAt - startAt).toFixed(0)} ms, restartCM acting at ${(restartAt - startAt).toFixed(0)} ms`);
      await sleep(c.tailMs);
      await Promise.all(clients.map((p) => p.evaluate(() => { (window as TabWindow).ivyTabStop = true; })));
    }
    const raw = await running;
    const perClient: TimedOp[][] = raw.map((list, i) => list.map((x, n) => timedOp(plans[i]![n]!, x.invokedAt, x.doneAt, x.r)));
    const ops = perClient.flat();
    const ok = ops.filter((o) => o.outcome === 'ok').length;
    const first = Math.min(...ops.map((o) => o.invokedAt));
    const totalMs = ops.length === 0 ? 0 : Math.max(...ops.map((o) => o.doneAt)) - first;
    const history = mergeHistory(perClient.map((o, i) => ({ process: i + 1, ops: o })), nemesis, startAt);
    const check = checkLinearizable(history);
    const kill = faults.find((f) => f.action === 'kill');
    if (kill) kill.unavailableMs = unavailableMs(ops, killAt);
    const bad = check.keys.find((k) => !k.ok);
    return {
      name: c.name,
      config: {
        name: c.name, clients: c.clients, pages: c.pages, readRatio: c.readRatio, opsPerClient: c.opsPerClient, seed: c.seed,
        backup: true, replication: 'streaming', faults: faults.map(({ atMs, action, node }) => ({ atMs, action, node })), persist: true,
      },
      issued: ops.length, ok,
      failed: ops.filter((o) => o.outcome === 'fail').length,
      unknown: ops.filter((o) => o.outcome === 'info').length,
      completion: ops.length === 0 ? 1 : ok / ops.length,
      issuedWhileBothDown: 0, completionOutsideOutages: ops.length === 0 ? 1 : ok / ops.length,
      latency: latencyByClass(ops), faultLatency: faultLatency(ops),
      totalMs, throughputOpsPerS: totalMs === 0 ? 0 : ok / (totalMs / 1000),
      // Messages are not counted across tabs.
      messagesPerOp: {}, messagesPerOpTotal: 0,
      faults, linearizable: check.ok, checkerUndecided: check.keys.some((k) => k.unknown === true),
      uncheckedKeys: check.keys.filter((k) => !k.ok).map((k) => k.key), errors: errorTally(ops),
      clockResolutionMs: (await clients[0]!.evaluate(() => globalThis.crossOriginIsolated)) ? 0.005 : 0.1,
      ...(bad?.explanation !== undefined ? { checkerNote: bad.explanation } : {}),
      history,
    };
  } finally {
    await context.close();
  }
}
