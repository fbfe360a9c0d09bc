// The leave scenarios' workload, laid out so that every page class exists when the client
// leaves (page-classes.ts measures them). Drawn at random over all pages, ten busy clients
// write every page within a second, and the leaver writes most of them: no page is left that
// it only read, nor one nobody wrote. So until it leaves, the leaver writes some pages alone
// (it owns them when it goes) and only reads others the rest write; some pages stay untouched
// until it has left, and some until the acting CM has failed after that, so that the new CM
// meets pages nobody ever claimed.
import type { OpRequest } from '../protocol/client.ts';
import { pageName } from '../sim/workload.ts';

/** Pages a client may read and write for now; null: any. */
export type PageRule = { read: string[]; write: string[] } | null;

export interface LeaveLayout {
  leaverWrites: string[];
  leaverReads: string[];
  othersOnly: string[];
  freshAtLeave: string[];
  freshAtCmFail: string[];
}

/** Null when `pages` is too few for every class. */
export function leaveLayout(pages: number, cmFails: boolean): LeaveLayout | null {
  const k = Math.max(1, Math.floor(pages / 5));
  const rest = pages - 3 * k;
  if (rest < (cmFails ? 2 : 1)) return null;
  const names = Array.from({ length: pages }, (_, i) => pageName(i + 1));
  const fresh = names.slice(3 * k);
  const atCm = cmFails ? Math.ceil(rest / 2) : 0;
  return {
    leaverWrites: names.slice(0, k),
    leaverReads: names.slice(k, 2 * k),
    othersOnly: names.slice(2 * k, 3 * k),
    freshAtLeave: fresh.slice(0, fresh.length - atCm),
    freshAtCmFail: fresh.slice(fresh.length - atCm),
  };
}

export function ruleBeforeLeave(l: LeaveLayout, leaver: boolean): PageRule {
  if (leaver) return { read: l.leaverReads, write: l.leaverWrites };
  return { read: [...l.leaverWrites, ...l.leaverReads, ...l.othersOnly], write: [...l.leaverReads, ...l.othersOnly] };
}

/** The remaining clients' rule once the leaver has gone; after the CM failed, any page (null). */
export function ruleAfterLeave(l: LeaveLayout): PageRule {
  const open = [...l.leaverWrites, ...l.leaverReads, ...l.othersOnly, ...l.freshAtLeave];
  return { read: open, write: open };
}

export const allows = (rule: PageRule, op: OpRequest): boolean =>
  rule === null || (op.kind === 'read' ? rule.read : rule.write).includes(op.page);
