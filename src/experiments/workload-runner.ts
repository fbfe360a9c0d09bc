// Runs a list of operations inside a client's worker, one at a time, and times each on the
// clock every worker of the page shares. Running here rather than from the page keeps the
// page-to-worker hop (Comlink) out of the latencies: a hit costs what a local read costs.
import type { OpRequest } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { OpKind, OpResult } from '../protocol/node.ts';
import { randomOps, type RandomOps } from './ops.ts';
import type { MessageCounts } from '../workers/message-count.ts';
import { commonNow } from '../host/env.ts';
import { sleepUntil } from '../util/sleep.ts';
import { allows, type PageRule } from './page-layout.ts';

export interface WorkloadPlan {
  /** The operations in order; or */
  ops?: OpRequest[];
  /** random ones made here from a seed (long runs would otherwise ship huge lists to the worker). */
  random?: RandomOps;
  /** Shared-clock time to issue the first operation at, so that clients start together. */
  startAt?: number;
  /** Shared-clock time after which no new operation is issued (the list may be left unfinished). */
  stopAt?: number;
  /** Pages it may read and write at first: operations on others are passed over (page-layout.ts). */
  rule?: PageRule;
}

/** One operation as it happened; `outcome` follows the history format (ok / fail / info). */
export interface TimedOp {
  kind: OpKind;
  page: string;
  /** The value written, for a write. */
  written: string | null;
  invokedAt: number;
  doneAt: number;
  outcome: 'ok' | 'fail' | 'info';
  /** Served from the client's own page table, with no message. */
  local: boolean;
  /** What a successful read returned. */
  read: string | null;
  error?: string;
  /** The member whose absence made the page unavailable, when that was why it failed. */
  away?: NodeId;
}

export interface WorkloadReport {
  node: NodeId;
  ops: TimedOp[];
  /** What this node had sent when its list ended (other nodes may still be running). */
  messagesSent: MessageCounts;
}

export type Submit = (op: OpRequest) => Promise<OpResult>;

/** A long run of hits (or of faults served in memory) never waits for a task; let the worker serve its links and timers now and then. */
const YIELD_EVERY_MS = 1;

/**
 * One channel for every yield of this thread (a pack runs many clients): a message to itself
 * is a task, queued behind whatever the links and timers have queued.
 */
let yielding: { port: MessagePort; waiting: Array<() => void> } | null = null;

const yieldToLinks = (): Promise<void> =>
  new Promise((resolve) => {
    if (!yielding) {
      const channel = new MessageChannel();
      const waiting: Array<() => void> = [];
      channel.port1.onmessage = () => waiting.shift()?.();
      // Not to keep a Node process (unit tests) alive for it.
      (channel.port1 as { unref?: () => void }).unref?.();
      yielding = { port: channel.port2, waiting };
    }
    yielding.waiting.push(resolve);
    yielding.port.postMessage(null);
  });

export function timedOp(op: OpRequest, invokedAt: number, doneAt: number, r: OpResult): TimedOp {
  const written = op.kind === 'write' ? op.value : null;
  const base = { kind: op.kind, page: op.page, written, invokedAt, doneAt };
  if (r.ok) return { ...base, outcome: 'ok', local: r.local, read: op.kind === 'read' ? r.value : null };
  return {
    ...base,
    outcome: r.certain ? 'fail' : 'info',
    local: false,
    read: null,
    error: r.error,
    ...(r.away === undefined ? {} : { away: r.away }),
  };
}

/** `rule`: the pages allowed now, asked before each operation (the page widens it as faults happen). */
export async function runOps(submit: Submit, plan: WorkloadPlan, rule: () => PageRule = () => plan.rule ?? null): Promise<TimedOp[]> {
  if (plan.startAt !== undefined) await sleepUntil(plan.startAt, commonNow);
  const out: TimedOp[] = [];
  let lastYield = commonNow();
  const ops = plan.ops ?? (plan.random ? randomOps(plan.random) : []);
  for (const op of ops) {
    const invokedAt = commonNow();
    if (plan.stopAt !== undefined && invokedAt >= plan.stopAt) break;
    if (!allows(rule(), op)) continue;
    const result = await submit(op);
    const doneAt = commonNow();
    out.push(timedOp(op, invokedAt, doneAt, result));
    // Even a fault may not have let the thread serve anything else: between nodes of one pack
    // its messages went in memory, without a task in between (placement.ts).
    if (doneAt - lastYield >= YIELD_EVERY_MS) {
      await yieldToLinks();
      lastYield = commonNow();
    }
  }
  return out;
}
