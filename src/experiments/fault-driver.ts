// Carries out a scenario's faults at their times while the clients run, and keeps the log the
// results need: when each fault happened, what the killed CM was doing, what a departing client
// held, and the windows during which no CM ran at all.
import type { NemesisEvent } from '../check/history.ts';
import type { ExperimentCluster } from './exp-cluster.ts';
import type { Outage } from './stats.ts';
import { faultEvent } from './record.ts';
import type { FaultReport, FaultStep, Holdings, Progress } from './types.ts';
import { sleepUntil } from '../util/sleep.ts';

export interface AppliedFault {
  step: FaultStep;
  at: number;
  roleWhenKilled?: string;
  applied: boolean;
  /** How long after its planned time the fault took effect. */
  lateMs?: number;
  /** This kill left no CM running. */
  leftNoCm?: boolean;
  note?: string;
  /** What a client that left held when it stopped. */
  held?: Holdings;
}

export interface FaultEnv {
  now(): number;
  finished(): boolean;
  progress: Progress;
  /** Ends the client's workload and has it leave for good (run-scenario.ts knows its workload). */
  leave(node: string): Promise<{ at: number; held: Holdings }>;
  /** Called once each fault has taken effect, before the next. */
  after?(fault: AppliedFault): Promise<void>;
}

export interface FaultLog {
  faults: AppliedFault[];
  outages: Outage[];
  nemesis: NemesisEvent[];
}

async function apply(cluster: ExperimentCluster, step: FaultStep, env: FaultEnv): Promise<AppliedFault> {
  const now = env.now;
  if (step.action === 'leave') {
    if (!cluster.running(step.node)) return { step, at: now(), applied: false, note: `${step.node} was not running` };
    const { at, held } = await env.leave(step.node);
    return { step, at, held, applied: true };
  }
  if (step.action === 'kill') {
    if (!cluster.running(step.node)) return { step, at: now(), applied: false, note: `${step.node} was not running` };
    const { at, role } = await cluster.kill(step.node);
    return { step, at, roleWhenKilled: role, applied: true };
  }
  if (cluster.running(step.node)) return { step, at: now(), applied: false, note: `${step.node} was running` };
  if (step.node !== 'cm1' && step.node !== 'cm2') return { step, at: now(), applied: false, note: 'only CMs restart' };
  const at = now();
  await cluster.restartCm(step.node);
  return { step, at, applied: true };
}

/**
 * Runs the steps in time order from `startAt`; steps due after `finished()` are skipped. A
 * client takes a moment to leave (it finishes its operation and comes to hold a page and a
 * copy), and the steps after it keep their distance from when it actually left.
 */
export async function driveFaults(
  cluster: ExperimentCluster,
  steps: readonly FaultStep[],
  startAt: number,
  env: FaultEnv,
): Promise<FaultLog> {
  const log: FaultLog = { faults: [], outages: [], nemesis: [] };
  const up = new Set(['cm1', 'cm2'].filter((id) => cluster.running(id)));
  let downSince: number | null = null;
  const ordered = [...steps].sort((a, b) => a.atMs - b.atMs);
  let shiftMs = 0;
  for (const [i, step] of ordered.entries()) {
    const due = startAt + step.atMs + shiftMs;
    await sleepUntil(due, env.now);
    if (env.finished()) {
      log.faults.push({ step, at: env.now(), applied: false, note: 'the workload had ended' });
      continue;
    }
    const done = await apply(cluster, step, env);
    done.lateMs = done.at - due;
    log.faults.push(done);
    if (!done.applied) continue;
    await env.after?.(done);
    if (step.action === 'leave') shiftMs += done.lateMs;
    log.nemesis.push(faultEvent(step.action, step.node, done.at));
    if (step.action === 'kill') up.delete(step.node);
    if (step.action === 'restart') up.add(step.node);
    if (up.size === 0 && downSince === null) {
      downSince = done.at;
      done.leftNoCm = true;
    }
    if (up.size > 0 && downSince !== null) {
      log.outages.push({ from: downSince, to: done.at });
      downSince = null;
    }
    env.progress({ step: `${step.action} ${step.node}`, done: i + 1, total: ordered.length });
  }
  if (downSince !== null) log.outages.push({ from: downSince, to: Infinity });
  return log;
}

/** The log as reported; `measure` adds what the operations say about each applied fault. */
export function faultReports(log: FaultLog, startAt: number, measure: (f: AppliedFault) => Partial<FaultReport>): FaultReport[] {
  return log.faults.map((f) => {
    const r: FaultReport = { ...f.step, applied: f.applied };
    if (f.applied) r.atMs = Math.round((f.at - startAt) * 10) / 10;
    if (f.roleWhenKilled !== undefined) r.roleWhenKilled = f.roleWhenKilled;
    if (f.leftNoCm) r.leftNoCm = true;
    if (f.note !== undefined) r.note = f.note;
    if (f.lateMs !== undefined) r.lateMs = Math.round(f.lateMs * 10) / 10;
    if (f.held !== undefined) r.held = f.held;
    return f.applied ? { ...r, ...measure(f) } : r;
  });
}
