// A client that leaves for good, as the availability scenarios need it: holding read copies and
// owning pages at the moment it stops, so that what is measured covers invalidations nobody will
// answer and pages that become unavailable. Under a busy workload a copy or a page stays with one
// client a few milliseconds before another's write takes it, so the client checks what it holds
// and stops in one go on its own thread, right after its last operation completed.
import type { ClientSnapshot, OpRequest } from '../protocol/client.ts';
import type { OpResult } from '../protocol/node.ts';
import type { NodeState } from '../host/make-node.ts';
import { commonNow } from '../host/env.ts';
import { timedOp, type TimedOp } from './workload-runner.ts';
import { pageName } from '../sim/workload.ts';
import type { Holdings } from './types.ts';
import type { PageRule } from './page-layout.ts';

export interface LeavePlan {
  /** The client's number: its written values differ from every other client's. */
  client: number;
  /** Pages P1..Pn, as in its workload. */
  pages: number;
  /** Operations it may issue towards holding both before it leaves anyway. */
  opsMax: number;
  /** Pages it may read and write (page-layout.ts); absent: any. */
  rule?: PageRule;
}

/** Pages it owns, and read copies it may serve (only while its lease runs). */
export function holdings(s: ClientSnapshot): Holdings {
  return {
    owned: s.pages
      .filter((p) => p.owner)
      .map((p) => p.page)
      .sort(),
    copies: s.leased
      ? s.pages
          .filter((p) => !p.owner && p.access === 'read')
          .map((p) => p.page)
          .sort()
      : [],
  };
}

export const holdsBoth = (h: Holdings): boolean => h.owned.length > 0 && h.copies.length > 0;

/**
 * The `n`th operation towards holding both: a write when it owns nothing (to a page it has no
 * copy of, so the copy stays), else a read of a page it neither owns nor has a copy of. Pages
 * are taken in turn, so a page another client keeps taking does not stall it.
 */
export function holdingOp(h: Holdings, plan: LeavePlan, n: number): OpRequest {
  const all = Array.from({ length: plan.pages }, (_, i) => pageName(i + 1));
  const turn = (among: readonly string[], skip: ReadonlySet<string>): string => {
    for (let k = 0; k < among.length; k++) {
      const page = among[(n + k) % among.length]!;
      if (!skip.has(page)) return page;
    }
    return among[n % among.length]!;
  };
  const rule = plan.rule ?? null;
  if (h.owned.length === 0)
    return { kind: 'write', page: turn(rule?.write ?? all, new Set(h.copies)), value: `${plan.client}.leaving${n + 1}` };
  return { kind: 'read', page: turn(rule?.read ?? all, new Set([...h.owned, ...h.copies])) };
}

/** What leaveHolding needs of the client's host (a HostCore is one). */
export interface LeavingNode {
  submit(op: OpRequest): Promise<OpResult>;
  snapshot(): NodeState;
  stop(): void;
}

export interface LeaveReport {
  /** The operations it issued to come to hold both, timed on the shared clock. */
  ops: TimedOp[];
  held: Holdings;
  /** When it stopped, on the shared clock. */
  at: number;
}

/**
 * Runs on the client's own thread: issues operations until it owns a page and holds a copy, then
 * stops the node at once. The check follows the completion of the last operation with no task
 * in between, so no message can take a page or a copy away before the stop.
 */
export async function leaveHolding(node: LeavingNode, plan: LeavePlan): Promise<LeaveReport> {
  const ops: TimedOp[] = [];
  for (let n = 0; ; n++) {
    const state = node.snapshot();
    if (state.role !== 'client') throw new Error('only a client leaves holding pages');
    const held = holdings(state.snapshot);
    if (holdsBoth(held) || n >= plan.opsMax) {
      node.stop();
      return { ops, held, at: commonNow() };
    }
    const op = holdingOp(held, plan, n);
    const invokedAt = commonNow();
    const result = await node.submit(op);
    ops.push(timedOp(op, invokedAt, commonNow(), result));
  }
}
