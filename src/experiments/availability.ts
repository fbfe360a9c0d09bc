// What a client that leaves for good costs the clients that stay: which failures name it as the
// reason a page is unavailable, and how long after a fault every other page takes writes again.
// Pure arithmetic over timed operations: unit-tested.
import type { TimedOp } from './workload-runner.ts';
import type { FaultReport } from './types.ts';

/**
 * Failed with a reason that names a departed client as away. Not enough to explain the failure:
 * the page must also be one it could hold (explained.ts).
 */
export function isExpectedFailure(op: TimedOp, departed: ReadonlySet<string>): boolean {
  if (op.outcome !== 'fail' || op.away === undefined || !departed.has(op.away)) return false;
  return new RegExp(`\\b${op.away}\\b`).test(op.error ?? '');
}

type WritesBack = Required<Pick<FaultReport, 'writesBackMs' | 'unavailablePages' | 'neverBackPages'>> & Pick<FaultReport, 'writesBackPage'>;

interface PageWrites {
  firstOkAt: number;
  expected: number;
  other: number;
}

/**
 * Fault → each page's first write issued at or after it (and before `until`, the next fault) by
 * a remaining client that needed the CM and succeeded, done; the slowest page gives
 * `writesBackMs`. Write hits are left out (they need nobody), and so are operations in flight at
 * the fault. A page first asked for after the next fault says nothing of this one: the leave
 * scenarios keep some pages untouched until the CM fails (page-layout.ts). A page whose writes
 * all failed naming a departed client is unavailable by design; one with other failures and no
 * success never came back, and then `writesBackMs` is null.
 */
export function writesBack(remaining: readonly TimedOp[], at: number, departed: ReadonlySet<string>, until = Infinity): WritesBack {
  const pages = new Map<string, PageWrites>();
  for (const op of remaining) {
    if (op.kind !== 'write' || op.invokedAt < at || op.invokedAt >= until || (op.outcome === 'ok' && op.local)) continue;
    const p = pages.get(op.page) ?? { firstOkAt: Infinity, expected: 0, other: 0 };
    if (op.outcome === 'ok') p.firstOkAt = Math.min(p.firstOkAt, op.doneAt);
    else if (isExpectedFailure(op, departed)) p.expected += 1;
    else p.other += 1;
    pages.set(op.page, p);
  }
  const sorted = [...pages].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  const unavailablePages = sorted.filter(([, p]) => p.firstOkAt === Infinity && p.other === 0).map(([page]) => page);
  const neverBackPages = sorted.filter(([, p]) => p.firstOkAt === Infinity && p.other > 0).map(([page]) => page);
  let slowest: [string, number] | null = null;
  for (const [page, p] of sorted)
    if (p.firstOkAt < Infinity && (slowest === null || p.firstOkAt > slowest[1])) slowest = [page, p.firstOkAt];
  if (neverBackPages.length > 0 || slowest === null) return { writesBackMs: null, unavailablePages, neverBackPages };
  return { writesBackMs: slowest[1] - at, writesBackPage: slowest[0], unavailablePages, neverBackPages };
}
