// The figures of the runs in which a client leaves for good: the availability target
// (the other clients' writes succeed again within 2 s after the departure, and after the acting
// CM then fails, on the worker cluster and in tab mode, with the default lease) and a table per
// run and lease value.
import { TIMING_DEFAULTS } from '../protocol/config.ts';
import { classSection } from './class-tables.ts';
import { completionCell } from './flag-tables.ts';
import { fmtMs, fmtPct, table, verdict } from './format.ts';
import type { StepResult } from './run-step.ts';
import type { FaultReport, ScenarioResult } from './types.ts';

export const WRITES_BACK_TARGET_MS = 2000;

export interface LeaveRun {
  cluster: 'workers' | 'tabs';
  result: ScenarioResult;
  leaseMs: number;
  leave: FaultReport;
  /** The acting CM killed after the departure, if it was. */
  cmKill?: FaultReport;
}

export const hasLeave = (r: ScenarioResult): boolean => r.faults.some((f) => f.action === 'leave' && f.applied);

export function leaveRuns(results: readonly StepResult[]): LeaveRun[] {
  return results.flatMap((s): LeaveRun[] => {
    if (s.kind !== 'scenario' && s.kind !== 'tab') return [];
    const leave = s.result.faults.find((f) => f.action === 'leave' && f.applied);
    if (!leave) return [];
    const cmKill = s.result.faults.find((f) => f.action === 'kill' && f.applied && f.atMs > leave.atMs);
    const run: LeaveRun = {
      cluster: s.kind === 'tab' ? 'tabs' : 'workers',
      result: s.result,
      leaseMs: s.result.config.timing?.leaseMs ?? TIMING_DEFAULTS.leaseMs,
      leave,
    };
    return [cmKill ? { ...run, cmKill } : run];
  });
}

/** The slowest page's return, or why there is none. */
function backCell(f: FaultReport | undefined): string {
  if (!f) return '–';
  if (f.writesBackMs === undefined) return 'not measured';
  if (f.writesBackMs === null) return `**never** (${(f.neverBackPages ?? []).join(', ') || 'no write after it'})`;
  return `${fmtMs(f.writesBackMs)} ms (${f.writesBackPage ?? '?'})`;
}

const worst = (xs: ReadonlyArray<number | null | undefined>): number | null =>
  xs.length === 0 || xs.some((x) => x === null || x === undefined) ? null : Math.max(...(xs as number[]));

/** The target row of the benchmark table, for the default lease. */
export function leaveTargetRow(results: readonly StepResult[]): [string, string, string, string, string] {
  const runs = leaveRuns(results).filter((r) => r.leaseMs === TIMING_DEFAULTS.leaseMs);
  const part = (cluster: LeaveRun['cluster']): { text: string; worst: number | null; n: number } => {
    const mine = runs.filter((r) => r.cluster === cluster);
    const left = mine.map((r) => r.leave.writesBackMs);
    const failed = mine.flatMap((r) => (r.cmKill ? [r.cmKill.writesBackMs] : []));
    const text =
      mine.length === 0
        ? `${cluster}: not run`
        : `${cluster}: ${fmtMs(worst(left))} ms after it left, ${failed.length === 0 ? '–' : fmtMs(worst(failed))} ms after the CM failed`;
    return { text, worst: mine.length === 0 ? null : worst([...left, ...failed]), n: mine.length };
  };
  const w = part('workers');
  const t = part('tabs');
  const all = w.n + t.n === 0 ? null : worst([...(w.n > 0 ? [w.worst] : []), ...(t.n > 0 ? [t.worst] : [])]);
  return [
    `a client leaves for good (then the acting CM fails): the other clients' writes succeed again ≤ ${WRITES_BACK_TARGET_MS / 1000} s (lease ${TIMING_DEFAULTS.leaseMs} ms)`,
    `${w.text}; ${t.text}`,
    `${WRITES_BACK_TARGET_MS} ms`,
    all === null ? '–' : `${(all / WRITES_BACK_TARGET_MS).toFixed(2)}x`,
    w.n + t.n === 0 ? 'not measured' : all !== null && all <= WRITES_BACK_TARGET_MS && w.n > 0 && t.n > 0 ? 'yes' : '**no**',
  ];
}

/** LEASE and LEASE_GRANT messages per second of the run (counted on the worker cluster only). */
function leaseRate(r: ScenarioResult): string {
  const perOp = (r.messagesPerOp.LEASE ?? 0) + (r.messagesPerOp.LEASE_GRANT ?? 0);
  return r.messagesPerOpTotal === 0 || r.totalMs === 0 ? '–' : ((perOp * r.issued) / (r.totalMs / 1000)).toFixed(0);
}

export function leaveSection(results: readonly StepResult[]): string[] {
  const runs = leaveRuns(results);
  if (runs.length === 0) return [];
  return [
    '### A client leaves for good (availability under leases)',
    '',
    'A client (c3) stops its operations and leaves for good, never restarted: it first comes to own a page and hold a read ' +
      'copy of another under its lease (listed), so that writes meet an invalidation nobody will answer and a page becomes ' +
      'unavailable. In the second scenario the acting CM fails a second after c3 must have been deemed away. "Writes back": ' +
      "the fault → each page's first write by a remaining client, issued after the fault and before the next one, that needed the CM and succeeded, " +
      'done; the slowest page is shown. Failures naming c3 on pages it had issued a write on are expected, and completion ' +
      "is also given without them (below 100 %: flagged). Tab runs close the client's tab, then the CM's.",
    '',
    table(
      [
        'scenario',
        'cluster',
        'lease ms',
        'c3 held (owned; copies)',
        'writes back after it left',
        'after the CM failed',
        'ok / issued',
        'expected failures (pages)',
        'completion without them',
        'lease msgs/s',
        'linearizable',
      ],
      runs.map(({ cluster, result: r, leaseMs, leave, cmKill }) => [
        r.name,
        cluster,
        String(leaseMs),
        leave.held ? `${leave.held.owned.join(', ') || 'none'}; ${leave.held.copies.join(', ') || 'none'}` : '–',
        backCell(leave),
        cmKill ? backCell(cmKill) : '–',
        completionCell(r),
        `${r.expectedFailures ?? 0} (${[...new Set([...(leave.unavailablePages ?? []), ...(cmKill?.unavailablePages ?? [])])].join(', ') || 'none'})`,
        r.completionExceptExpected === undefined ? '–' : fmtPct(r.completionExceptExpected),
        leaseRate(r),
        verdict(r),
      ]),
    ),
    '',
    ...classSection(runs),
  ];
}
