// runScenario(config, onProgress): one experiment on a real in-page cluster. It starts the CMs
// and clients as workers, has every client run its random operations inside its own worker
// (timed there, on the clock all workers share), kills and restarts CMs on the scenario's
// schedule, then returns a plain JSON result: completion, latency per operation kind,
// throughput, messages per operation, unavailability after each fault and the
// linearizability verdict of the recorded history. The dashboard's Experiments panel and
// `npm run experiments` both call it.
import { checkLinearizable } from '../sim/checker.ts';
import type { WorkloadReport } from './workload-runner.ts';
import { browserEnv, clockResolutionMs, type ScenarioEnv } from './env.ts';
import { CM_IDS, ExperimentCluster } from './exp-cluster.ts';
import { driveFaults, faultReports, type FaultLog } from './fault-driver.ts';
import { mergeHistory } from './record.ts';
import {
  errorTally, faultLatency, issuedDuring, latencyByClass, perOp, unavailableMs,
} from './stats.ts';
import type { MessageCounts } from '../workers/message-count.ts';
import { verdict } from './format.ts';
import { sleep } from '../util/sleep.ts';
import type { Progress, ScenarioConfig, ScenarioResult } from './types.ts';

/** Time for the standby's first pulses and the clients' announcements before the clock starts. */
const SETTLE_MS = 400;
/** Beyond its own duration, how long a run may take before it is declared stuck. */
const RUN_SLACK_MS = 60_000;
const CLIENTS_MAX = 256;

export function scenarioConfigError(c: ScenarioConfig): string | null {
  if (!Number.isInteger(c.clients) || c.clients < 1 || c.clients > CLIENTS_MAX) return `clients must be 1..${CLIENTS_MAX}`;
  if (!Number.isInteger(c.pages) || c.pages < 1) return 'pages must be a positive integer';
  if (!(c.readRatio >= 0 && c.readRatio <= 1)) return 'readRatio must be in [0, 1]';
  if (!Number.isInteger(c.opsPerClient) || c.opsPerClient < 0) return 'opsPerClient must be a non-negative integer';
  if (!c.backup && c.faults.some((f) => f.node === 'cm2')) return 'basic Ivy has no cm2 to fail';
  if (c.faults.some((f) => !(f.atMs >= 0) || !CM_IDS.includes(f.node))) return 'faults need atMs >= 0 and node cm1 or cm2';
  return null;
}

interface Run {
  startAt: number;
  reports: WorkloadReport[];
  log: FaultLog;
}

function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} took longer than ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

async function drive(cluster: ExperimentCluster, c: ScenarioConfig, env: ScenarioEnv, progress: Progress): Promise<Run> {
  // Every client gets its plan before the common start, however many there are.
  const startAt = env.now() + 100 + 5 * c.clients;
  const stopAt = c.durationMs === undefined ? undefined : startAt + c.durationMs;
  let finished = false;
  const workloads = cluster.clientIds().map((id, i) => {
    const random = { client: i + 1, pages: c.pages, readRatio: c.readRatio, count: c.opsPerClient, seed: c.seed };
    return cluster.api(id).runWorkload(stopAt === undefined ? { random, startAt } : { random, startAt, stopAt });
  });
  const all = Promise.all(workloads).finally(() => { finished = true; });
  const faults = driveFaults(cluster, c.faults, startAt, { now: env.now, finished: () => finished, progress });
  const budget = (c.durationMs ?? 0) + RUN_SLACK_MS;
  const [reports, log] = await withDeadline(Promise.all([all, faults]), budget, `scenario ${c.name}`);
  return { startAt, reports, log };
}

function analyse(c: ScenarioConfig, run: Run, sent: MessageCounts, clockMs: number): ScenarioResult {
  const ops = run.reports.flatMap((r) => r.ops);
  const ok = ops.filter((o) => o.outcome === 'ok').length;
  const outside = ops.filter((o) => !issuedDuring(o, run.log.outages));
  const okOutside = outside.filter((o) => o.outcome === 'ok').length;
  const first = Math.min(...ops.map((o) => o.invokedAt));
  const last = Math.max(...ops.map((o) => o.doneAt));
  const totalMs = ops.length === 0 ? 0 : last - first;
  const history = mergeHistory(
    run.reports.map((r, i) => ({ process: i + 1, ops: r.ops })), run.log.nemesis, run.startAt);
  const check = checkLinearizable(history);
  const bad = check.keys.find((k) => !k.ok);
  const messages = perOp(sent, ops.length);
  const result: ScenarioResult = {
    name: c.name, config: c, issued: ops.length, ok,
    failed: ops.filter((o) => o.outcome === 'fail').length,
    unknown: ops.filter((o) => o.outcome === 'info').length,
    completion: ops.length === 0 ? 1 : ok / ops.length,
    issuedWhileBothDown: ops.length - outside.length,
    completionOutsideOutages: outside.length === 0 ? 1 : okOutside / outside.length,
    latency: latencyByClass(ops), faultLatency: faultLatency(ops),
    totalMs, throughputOpsPerS: totalMs === 0 ? 0 : ok / (totalMs / 1000),
    messagesPerOp: messages.byType, messagesPerOpTotal: messages.total,
    faults: faultReports(run.log, run.startAt, (at) => unavailableMs(ops, at)),
    linearizable: check.ok, checkerUndecided: check.keys.some((k) => k.unknown === true),
    uncheckedKeys: check.keys.filter((k) => !k.ok).map((k) => k.key), errors: errorTally(ops), clockResolutionMs: clockMs,
  };
  if (bad?.explanation !== undefined) result.checkerNote = bad.explanation;
  if (c.keepHistory) result.history = history;
  return result;
}

export async function runScenario(
  config: ScenarioConfig, onProgress: Progress = () => {}, env: ScenarioEnv = browserEnv(),
): Promise<ScenarioResult> {
  const error = scenarioConfigError(config);
  if (error) throw new Error(`scenario ${config.name}: ${error}`);
  const store = config.persist ? await env.openStore(`ivy-exp-${config.name}-${Date.now()}`) : null;
  const shape = { clients: config.clients, backup: config.backup, replication: config.replication };
  const cluster = new ExperimentCluster(env.spawn, shape, store);
  const step = (s: string, done: number): void => onProgress({ step: `${config.name}: ${s}`, done, total: 3 });
  try {
    step(`starting ${config.clients} clients`, 0);
    await cluster.startAll();
    await sleep(SETTLE_MS);
    step(`running ${config.clients} × ${config.opsPerClient} operations`, 1);
    const run = await drive(cluster, config, env, (p) => onProgress({ ...p, step: `${config.name}: ${p.step}` }));
    const sent = await cluster.messagesSent();
    step('checking the history', 2);
    const result = analyse(config, run, sent, clockResolutionMs());
    step(`done: ${result.ok}/${result.issued} ok, ${verdict(result)}`, 3);
    return result;
  } finally {
    await cluster.stop();
  }
}
