// Which failures a scenario explains, and the flag on a completion below 100 % it does not.
// A run states what it expects to fail, from its faults as they happened: after a member left
// for good, operations on a page it could hold (it issued a write on it, one left in flight
// included) failing with a reason that names it, and its own operation its leaving cut short;
// operations pending while no CM ran; with the
// seed's periodic replication (run for contrast), anything after a CM failed. Any other failure
// counts against completion: the quick run completed 10.9 % of a leave scenario, on
// pages the departed client never held, and nothing said so. Pure: unit-tested.
import type { NodeId } from '../protocol/ids.ts';
import { isExpectedFailure } from './availability.ts';
import type { FaultLog } from './fault-driver.ts';
import { errorTally } from './stats.ts';
import type { TimedOp } from './workload-runner.ts';
import type { Expectation, ScenarioConfig, ScenarioResult, Unexplained } from './types.ts';

/** An expectation on the shared clock: `to` Infinity for the end of the run. */
interface Window {
  why: string;
  from: number;
  to: number;
  pages: ReadonlySet<string> | null;
  away: NodeId | null;
}

export interface ExplainInput {
  config: Pick<ScenarioConfig, 'replication'>;
  startAt: number;
  reports: ReadonlyArray<{ node: NodeId; ops: readonly TimedOp[] }>;
  log: Pick<FaultLog, 'faults' | 'outages'>;
}

const byNumber = (a: string, b: string): number => a.localeCompare(b, 'en', { numeric: true });

/** Pages the node could hold: every page it issued a write on, whatever came of the write. */
export function couldHold(ops: readonly TimedOp[]): string[] {
  return [...new Set(ops.filter((o) => o.kind === 'write').map((o) => o.page))].sort(byNumber);
}

function windows(run: ExplainInput): Window[] {
  const out: Window[] = [];
  for (const f of run.log.faults) {
    if (!f.applied || f.step.action !== 'leave') continue;
    const node = f.step.node;
    const pages = couldHold(run.reports.find((r) => r.node === node)?.ops ?? []);
    out.push({ why: `${node} left: pages it wrote`, from: f.at, to: Infinity, pages: new Set(pages), away: node });
  }
  for (const o of run.log.outages) out.push({ why: 'no CM ran', from: o.from, to: o.to, pages: null, away: null });
  const firstKill = run.log.faults.find((f) => f.applied && f.step.action === 'kill');
  if (run.config.replication === 'periodic' && firstKill)
    out.push({
      why: "a CM failed under the seed's periodic replication (it loses what it had not copied: run for contrast)",
      from: firstKill.at,
      to: Infinity,
      pages: null,
      away: null,
    });
  return out;
}

/** Pending at some moment of [from, to): invoked before its end, done at or after its start. */
const pendingIn = (op: TimedOp, w: Window): boolean => op.invokedAt < w.to && op.doneAt >= w.from;

/** `by`: the client that issued it; the departed's own operation cut by its leaving is explained. */
function explains(w: Window, op: TimedOp, by: NodeId): boolean {
  if (op.outcome === 'ok' || !pendingIn(op, w)) return false;
  if (w.away !== null && by === w.away) return true;
  if (w.pages !== null && !w.pages.has(op.page)) return false;
  return w.away === null || isExpectedFailure(op, new Set([w.away]));
}

export interface CompletionCheck {
  expected: Expectation[];
  expectedFailures: number;
  completionExceptExpected: number;
  unexplained?: Unexplained;
}

/** What the run explains, and the completion of everything else. */
export function checkCompletion(run: ExplainInput): CompletionCheck {
  const ws = windows(run);
  const ops = run.reports.flatMap((r) => r.ops);
  const failed = run.reports.flatMap((r) => r.ops.filter((o) => o.outcome !== 'ok').map((o) => ({ o, by: r.node })));
  const odd = failed.filter(({ o, by }) => !ws.some((w) => explains(w, o, by))).map(({ o }) => o);
  const expectedFailures = failed.length - odd.length;
  const counted = ops.length - expectedFailures;
  const rel = (t: number): number | null => (t === Infinity ? null : Math.round((t - run.startAt) * 10) / 10);
  const check: CompletionCheck = {
    expected: ws.map((w) => ({
      why: w.why,
      fromMs: rel(w.from) ?? 0,
      toMs: rel(w.to),
      ...(w.pages ? { pages: [...w.pages] } : {}),
      ...(w.away ? { away: w.away } : {}),
    })),
    expectedFailures,
    completionExceptExpected: counted === 0 ? 1 : (ops.length - failed.length) / counted,
  };
  if (odd.length > 0)
    check.unexplained = {
      count: odd.length,
      pages: [...new Set(odd.map((o) => o.page))].sort(byNumber),
      errors: errorTally(odd, 3),
    };
  return check;
}

/**
 * Completion below 100 % that the run does not explain. A result written before runs stated
 * their expectations is judged by its completion outside outages alone.
 */
export function flagged(r: ScenarioResult): boolean {
  return r.expected === undefined ? r.completionOutsideOutages < 1 : (r.completionExceptExpected ?? 0) < 1;
}

/** One line on why a run is flagged, for the console and the tables; '' if it is not. */
export function flagNote(r: ScenarioResult): string {
  if (!flagged(r)) return '';
  const u = r.unexplained;
  if (!u) return `FLAGGED: ${r.issued - r.ok} failures and no stated expectation`;
  const top = u.errors[0];
  return (
    `FLAGGED: ${u.count} failures the scenario does not explain, on ${u.pages.join(', ')}` +
    (top ? ` (most often ${top.count}× "${top.error}")` : '')
  );
}
