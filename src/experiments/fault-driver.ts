// Carries out a scenario's CM faults at their times while the clients run, and keeps the log
// the results need: when each fault happened, what the killed CM was doing, and the windows
// during which no CM ran at all.
import type { NemesisEvent } from '../sim/history.ts';
import type { ExperimentCluster } from './exp-cluster.ts';
import type { Outage } from './stats.ts';
import { faultEvent } from './record.ts';
import type { FaultReport, FaultStep, Progress } from './types.ts';
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
}

export interface FaultLog {
  faults: AppliedFault[];
  outages: Outage[];
  nemesis: NemesisEvent[];
}

async function apply(cluster: ExperimentCluster, step: FaultStep, now: () => number): Promise<AppliedFault> {
  if (step.action === 'kill') {
    if (!cluster.running(step.node)) return { step, at: now(), applied: false, note: `${step.node} was not running` };
    const { at, role } = await cluster.kill(step.node);
    return { step, at, roleWhenKilled: role, applied: true };
  }
  if (cluster.running(step.node)) return { step, at: now(), applied: false, note: `${step.node} was running` };
  const at = now();
  await cluster.restartCm(step.node);
  return { step, at, applied: true };
}

/** Runs the steps in time order from `startAt`; steps due after `finished()` are skipped. */
export async function driveFaults(
  cluster: ExperimentCluster, steps: readonly FaultStep[], startAt: number,
  env: { now(): number; finished(): boolean; progress: Progress },
): Promise<FaultLog> {
  const log: FaultLog = { faults: [], outages: [], nemesis: [] };
  const up = new Set(['cm1', 'cm2'].filter((id) => cluster.running(id)));
  let downSince: number | null = null;
  const ordered = [...steps].sort((a, b) => a.atMs - b.atMs);
  for (const [i, step] of ordered.entries()) {
    await sleepUntil(startAt + step.atMs, env.now);
    if (env.finished()) {
      log.faults.push({ step, at: env.now(), applied: false, note: 'the workload had ended' });
      continue;
    }
    const due = startAt + step.atMs;
    const done = await apply(cluster, step, env.now);
    done.lateMs = done.at - due;
    log.faults.push(done);
    if (!done.applied) continue;
    log.nemesis.push(faultEvent(step.action, step.node, done.at));
    if (step.action === 'kill') up.delete(step.node);
    else up.add(step.node);
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

export function faultReports(log: FaultLog, startAt: number, unavailable: (killAt: number) => number | null): FaultReport[] {
  return log.faults.map((f) => {
    const r: FaultReport = { ...f.step, applied: f.applied };
    if (f.applied) r.atMs = Math.round((f.at - startAt) * 10) / 10;
    if (f.roleWhenKilled !== undefined) r.roleWhenKilled = f.roleWhenKilled;
    if (f.leftNoCm) r.leftNoCm = true;
    if (f.note !== undefined) r.note = f.note;
    if (f.lateMs !== undefined) r.lateMs = Math.round(f.lateMs * 10) / 10;
    if (f.step.action === 'kill' && f.applied) r.unavailableMs = unavailable(f.at);
    return r;
  });
}
