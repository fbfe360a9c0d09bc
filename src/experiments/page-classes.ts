// Departure figures per page class. What a member that left for good may hold decides what
// should become unavailable: the pages it wrote (it may own them), and nothing else. Pages it
// only read (it held a read copy under its lease), pages nobody had written yet, and the other
// clients' pages must come back; the issue found the never-written ones blocked after a CM
// failover. Classes come from what the run did, not from the workload's plan. Pure: unit-tested.
import type { NodeId } from '../protocol/ids.ts';
import { isExpectedFailure } from './availability.ts';
import { couldHold } from './explained.ts';
import { summarize } from './stats.ts';
import type { TimedOp } from './workload-runner.ts';

export type PageClass = 'never-written' | 'read-copied' | 'owned' | 'others';
export const PAGE_CLASSES: readonly PageClass[] = ['never-written', 'read-copied', 'owned', 'others'];

export interface ClassFigures {
  class: PageClass;
  /** Pages of the class the remaining clients asked for in the window. */
  pages: string[];
  /** Their operations on those pages issued in the window, and how many succeeded. */
  issued: number;
  ok: number;
  /** The event → each page's first success that needed a CM, issued in the window, done: over the pages that had one. */
  backP50Ms: number | null;
  backMaxMs: number | null;
  /** Pages asked for in the window without such a success. */
  notBack: string[];
  /** Of those, the pages whose every failure named the departed as away: unavailable while it stays away. */
  unavailable: string[];
}

/**
 * The class of each page at `at`: `owned` if the leaver issued a write on it (it may hold it),
 * `read-copied` if it only read it, `never-written` if nobody had issued a write on it before
 * `at`, else `others`.
 */
export function pageClasses(
  reports: ReadonlyArray<{ node: NodeId; ops: readonly TimedOp[] }>,
  leaver: NodeId,
  at: number,
): Map<string, PageClass> {
  const mine = reports.find((r) => r.node === leaver)?.ops ?? [];
  const wrote = new Set(couldHold(mine));
  const read = new Set(mine.filter((o) => o.kind === 'read').map((o) => o.page));
  const all = reports.flatMap((r) => r.ops);
  const writtenBefore = new Set(all.filter((o) => o.kind === 'write' && o.invokedAt < at).map((o) => o.page));
  const out = new Map<string, PageClass>();
  for (const op of all) {
    const p = op.page;
    out.set(p, wrote.has(p) ? 'owned' : read.has(p) ? 'read-copied' : writtenBefore.has(p) ? 'others' : 'never-written');
  }
  return out;
}

interface PageTally {
  issued: number;
  ok: number;
  firstOkAt: number;
  failed: number;
  namedLeaver: number;
}

/** Per class, what the remaining clients' operations issued in [at, until) met. */
export function classFigures(
  reports: ReadonlyArray<{ node: NodeId; ops: readonly TimedOp[] }>,
  leaver: NodeId,
  at: number,
  until: number,
): ClassFigures[] {
  const classes = pageClasses(reports, leaver, at);
  const pages = new Map<string, PageTally>();
  for (const r of reports) {
    if (r.node === leaver) continue;
    for (const op of r.ops) {
      if (op.invokedAt < at || op.invokedAt >= until) continue;
      const t = pages.get(op.page) ?? { issued: 0, ok: 0, firstOkAt: Infinity, failed: 0, namedLeaver: 0 };
      t.issued += 1;
      if (op.outcome === 'ok') {
        t.ok += 1;
        // A hit needs nobody: it says nothing of whether the page is available.
        if (!op.local) t.firstOkAt = Math.min(t.firstOkAt, op.doneAt);
      } else {
        t.failed += 1;
        if (isExpectedFailure(op, new Set([leaver]))) t.namedLeaver += 1;
      }
      pages.set(op.page, t);
    }
  }
  const sorted = [...pages].sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }));
  return PAGE_CLASSES.map((cls) => {
    const mine = sorted.filter(([p]) => classes.get(p) === cls);
    const back = summarize(mine.flatMap(([, t]) => (t.firstOkAt < Infinity ? [t.firstOkAt - at] : [])));
    const notBack = mine.filter(([, t]) => t.firstOkAt === Infinity);
    return {
      class: cls,
      pages: mine.map(([p]) => p),
      issued: mine.reduce((n, [, t]) => n + t.issued, 0),
      ok: mine.reduce((n, [, t]) => n + t.ok, 0),
      backP50Ms: back.p50Ms,
      backMaxMs: back.maxMs,
      notBack: notBack.map(([p]) => p),
      unavailable: notBack.filter(([, t]) => t.failed > 0 && t.namedLeaver === t.failed).map(([p]) => p),
    };
  });
}
