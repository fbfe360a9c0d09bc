// A run as recorded (each client's timed operations, the faults as they happened) turned into
// the plain JSON result: completion, latency per kind, throughput, messages per operation,
// unavailability after each fault, when writes came back after a client left, and the
// linearizability verdict of the merged history. Worker runs and tab runs both end here.
import type { NodeId } from '../protocol/ids.ts';
import { checkLinearizable } from '../check/checker.ts';
import type { MessageCounts } from '../workers/message-count.ts';
import type { TimedOp } from './workload-runner.ts';
import { writesBack } from './availability.ts';
import { checkCompletion } from './explained.ts';
import { faultReports, type AppliedFault, type FaultLog } from './fault-driver.ts';
import { classFigures } from './page-classes.ts';
import { mergeHistory } from './record.ts';
import { errorTally, faultLatency, issuedDuring, latencyByClass, perOp, unavailableMs } from './stats.ts';
import type { FaultReport, ScenarioConfig, ScenarioResult } from './types.ts';

export interface RunRecord {
  config: ScenarioConfig;
  /** The common start on the shared clock: history times count from it. */
  startAt: number;
  /** Every client's operations, in client order (history process n is the nth). */
  reports: ReadonlyArray<{ node: NodeId; ops: TimedOp[] }>;
  log: FaultLog;
  /** Clients that left for good. */
  departed: ReadonlySet<NodeId>;
  /** Null where messages are not counted (across tabs). */
  sent: MessageCounts | null;
  clockResolutionMs: number;
}

const applied = (run: RunRecord): AppliedFault[] => run.log.faults.filter((x) => x.applied);

/** When the fault after `f` happened; Infinity when none did. */
function nextFaultAt(run: RunRecord, f: AppliedFault): number {
  return Math.min(
    ...applied(run)
      .filter((x) => x.at > f.at)
      .map((x) => x.at),
    Infinity,
  );
}

/**
 * Per page class, from one fault at or after a client's departure until the next fault: only
 * where one client left, so that each class says what that client may hold.
 */
function byClass(run: RunRecord, f: AppliedFault): Pick<FaultReport, 'byClass'> {
  const leaves = applied(run).filter((x) => x.step.action === 'leave');
  const leave = leaves[0];
  if (leaves.length !== 1 || !leave || f.at < leave.at) return {};
  return { byClass: classFigures(run.reports, leave.step.node, f.at, nextFaultAt(run, f)) };
}

/** What the operations say about one fault: unavailability after a kill; with a departed client, when writes came back. */
function measureFault(run: RunRecord, ops: readonly TimedOp[]): (f: AppliedFault) => Partial<FaultReport> {
  const remaining = run.reports.filter((r) => !run.departed.has(r.node)).flatMap((r) => r.ops);
  return (f) => ({
    ...(f.step.action === 'kill' ? { unavailableMs: unavailableMs(ops, f.at) } : {}),
    ...(run.departed.size > 0 ? writesBack(remaining, f.at, run.departed, nextFaultAt(run, f)) : {}),
    ...byClass(run, f),
  });
}

export function scenarioResult(run: RunRecord): ScenarioResult {
  const c = run.config;
  const ops = run.reports.flatMap((r) => r.ops);
  const ok = ops.filter((o) => o.outcome === 'ok').length;
  const outside = ops.filter((o) => !issuedDuring(o, run.log.outages));
  const okOutside = outside.filter((o) => o.outcome === 'ok').length;
  const first = Math.min(...ops.map((o) => o.invokedAt));
  const last = Math.max(...ops.map((o) => o.doneAt));
  const totalMs = ops.length === 0 ? 0 : last - first;
  const history = mergeHistory(
    run.reports.map((r, i) => ({ process: i + 1, ops: r.ops })),
    run.log.nemesis,
    run.startAt,
  );
  const check = checkLinearizable(history);
  const bad = check.keys.find((k) => !k.ok);
  const messages = run.sent === null ? { byType: {}, total: 0 } : perOp(run.sent, ops.length);
  const result: ScenarioResult = {
    name: c.name,
    config: c,
    issued: ops.length,
    ok,
    failed: ops.filter((o) => o.outcome === 'fail').length,
    unknown: ops.filter((o) => o.outcome === 'info').length,
    completion: ops.length === 0 ? 1 : ok / ops.length,
    issuedWhileBothDown: ops.length - outside.length,
    completionOutsideOutages: outside.length === 0 ? 1 : okOutside / outside.length,
    latency: latencyByClass(ops),
    faultLatency: faultLatency(ops),
    totalMs,
    throughputOpsPerS: totalMs === 0 ? 0 : ok / (totalMs / 1000),
    messagesPerOp: messages.byType,
    messagesPerOpTotal: messages.total,
    faults: faultReports(run.log, run.startAt, measureFault(run, ops)),
    linearizable: check.ok,
    checkerUndecided: check.keys.some((k) => k.unknown === true),
    uncheckedKeys: check.keys.filter((k) => !k.ok).map((k) => k.key),
    errors: errorTally(ops),
    clockResolutionMs: run.clockResolutionMs,
  };
  Object.assign(result, checkCompletion(run));
  if (bad?.explanation !== undefined) result.checkerNote = bad.explanation;
  if (c.keepHistory) result.history = history;
  return result;
}
