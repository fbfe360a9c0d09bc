// runScenario(config, onProgress): one experiment on a real in-page cluster. It starts the CMs
// and clients as workers, has every client run its random operations inside its own worker
// (timed there, on the clock all workers share), kills and restarts CMs on the scenario's
// schedule and has clients leave for good (holding pages), then returns a plain JSON result
// (result.ts). The dashboard's Experiments panel and `npm run experiments` both call it.
import { timingError } from '../protocol/config.ts';
import { clientNumber, type NodeId } from '../protocol/ids.ts';
import type { TimedOp } from './workload-runner.ts';
import { browserEnv, clockResolutionMs, type ScenarioEnv } from './env.ts';
import { DURABILITY_DEFAULT } from '../protocol/config.ts';
import { CM_IDS, ExperimentCluster } from './exp-cluster.ts';
import { driveFaults, type AppliedFault } from './fault-driver.ts';
import { leaveLayout, ruleAfterLeave, ruleBeforeLeave, type LeaveLayout, type PageRule } from './page-layout.ts';
import { scenarioResult, type RunRecord } from './result.ts';
import { verdict } from './format.ts';
import { withDeadline } from '../util/deadline.ts';
import { isPlacement, PLACEMENTS } from '../workers/placement.ts';
import { sleep } from '../util/sleep.ts';
import type { Progress, ScenarioConfig, ScenarioResult } from './types.ts';

/** Time for the standby's first pulses and the clients' announcements before the clock starts. */
const SETTLE_MS = 400;
/** Beyond its own duration, how long a run may take before it is declared stuck. */
const RUN_SLACK_MS = 60_000;
/**
 * And beyond that, per operation of a run with no duration: 19,200 operations at a hundred or
 * so a second (every fault a commit, hundreds of clients contending for 10 pages on 2 cores)
 * are long, not stuck.
 */
const RUN_SLACK_PER_OP_MS = 10;
const CLIENTS_MAX = 256;
/** Operations a departing client may issue to come to hold a page and a copy before it leaves anyway. */
const LEAVE_OPS_MAX = 200;

export function scenarioConfigError(c: ScenarioConfig): string | null {
  if (!Number.isInteger(c.clients) || c.clients < 1 || c.clients > CLIENTS_MAX) return `clients must be 1..${CLIENTS_MAX}`;
  if (!Number.isInteger(c.pages) || c.pages < 1) return 'pages must be a positive integer';
  if (!(c.readRatio >= 0 && c.readRatio <= 1)) return 'readRatio must be in [0, 1]';
  if (!Number.isInteger(c.opsPerClient) || c.opsPerClient < 0) return 'opsPerClient must be a non-negative integer';
  if (!c.backup && c.faults.some((f) => f.node === 'cm2')) return 'basic Ivy has no cm2 to fail';
  if (c.faults.some((f) => !(f.atMs >= 0))) return 'faults need atMs >= 0';
  if (c.placement !== undefined && !isPlacement(c.placement)) return `placement must be one of ${PLACEMENTS.join(', ')}`;
  if (c.faults.some((f) => f.action !== 'leave' && !(CM_IDS as readonly string[]).includes(f.node)))
    return 'only cm1 and cm2 are killed and restarted';
  const leaving = c.faults.flatMap((f) => (f.action === 'leave' ? [f.node] : []));
  const inRange = (id: NodeId): boolean => {
    const n = clientNumber(id) ?? 0;
    return n >= 1 && n <= c.clients;
  };
  if (!leaving.every(inRange)) return `a client that leaves is one of c1..c${c.clients}`;
  if (new Set(leaving).size < leaving.length) return 'a client leaves only once';
  if (leaving.length > 0 && c.pages < 2) return 'a client that leaves must own a page and hold a copy of another: pages must be 2 or more';
  if (c.pageClasses && leaving.length !== 1) return 'pageClasses needs exactly one client that leaves';
  if (c.pageClasses && !layoutOf(c)) return 'pageClasses needs more pages for every class (5, or 6 when a CM fails after the leave)';
  return timingError(c.timing);
}

type Run = Pick<RunRecord, 'startAt' | 'reports' | 'log' | 'departed'>;

function layoutOf(c: ScenarioConfig): LeaveLayout | null {
  const leave = c.faults.find((f) => f.action === 'leave');
  if (!leave) return null;
  return leaveLayout(
    c.pages,
    c.faults.some((f) => f.action === 'kill' && f.atMs > leave.atMs),
  );
}

/** The pages each client keeps to until the leave, widened as the faults happen (page-layout.ts). */
function pageRules(cluster: ExperimentCluster, c: ScenarioConfig) {
  const layout = c.pageClasses ? layoutOf(c) : null;
  const leaver = c.faults.find((f) => f.action === 'leave')?.node;
  let left = false;
  const widen = (rule: PageRule) =>
    Promise.all(cluster.clientIds().flatMap((id) => (cluster.running(id) ? [cluster.api(id).setPageRule(rule)] : []))).then(() => {});
  return {
    initial: (id: NodeId): PageRule => (layout ? ruleBeforeLeave(layout, id === leaver) : null),
    leaving: (): PageRule => (layout ? ruleBeforeLeave(layout, true) : null),
    async after(f: AppliedFault): Promise<void> {
      if (!layout) return;
      if (f.step.action === 'leave') {
        left = true;
        await widen(ruleAfterLeave(layout));
      } else if (f.step.action === 'kill' && left) await widen(null);
    },
  };
}

async function drive(cluster: ExperimentCluster, c: ScenarioConfig, env: ScenarioEnv, progress: Progress): Promise<Run> {
  // Every client gets its plan before the common start, however many there are.
  const startAt = env.now() + 100 + 5 * c.clients;
  const leaveAt = new Map(c.faults.flatMap((f) => (f.action === 'leave' ? [[f.node, startAt + f.atMs] as const] : [])));
  let finished = false;
  const rules = pageRules(cluster, c);
  const workloads = new Map(
    cluster.clientIds().map((id, i) => {
      const random = { client: i + 1, pages: c.pages, readRatio: c.readRatio, count: c.opsPerClient, seed: c.seed };
      // A client that leaves stops issuing when it is due to leave, then leaves holding pages.
      const stops = [c.durationMs === undefined ? Infinity : startAt + c.durationMs, leaveAt.get(id) ?? Infinity];
      const stopAt = Math.min(...stops);
      const rule = rules.initial(id);
      return [
        id,
        cluster.api(id).runWorkload(stopAt === Infinity ? { random, startAt, rule } : { random, startAt, stopAt, rule }),
      ] as const;
    }),
  );
  const all = Promise.all(workloads.values()).finally(() => {
    finished = true;
  });
  const leavingOps = new Map<NodeId, TimedOp[]>();
  const leave = async (id: NodeId) => {
    await workloads.get(id);
    const left = await cluster.leave(id, { client: clientNumber(id) ?? 0, pages: c.pages, opsMax: LEAVE_OPS_MAX, rule: rules.leaving() });
    leavingOps.set(id, left.ops);
    return left;
  };
  const faults = driveFaults(cluster, c.faults, startAt, { now: env.now, finished: () => finished, progress, leave, after: rules.after });
  const budget = (c.durationMs ?? c.clients * c.opsPerClient * RUN_SLACK_PER_OP_MS) + RUN_SLACK_MS;
  const [reports, log] = await withDeadline(Promise.all([all, faults]), budget, `scenario ${c.name}`);
  const withLeaving = reports.map((r) => ({ ...r, ops: [...r.ops, ...(leavingOps.get(r.node) ?? [])] }));
  return { startAt, reports: withLeaving, log, departed: new Set(leavingOps.keys()) };
}

export async function runScenario(
  config: ScenarioConfig,
  onProgress: Progress = () => {},
  env: ScenarioEnv = browserEnv(),
): Promise<ScenarioResult> {
  const error = scenarioConfigError(config);
  if (error) throw new Error(`scenario ${config.name}: ${error}`);
  const store = config.persist
    ? await env.openStore(`ivy-exp-${config.name}-${Date.now()}`, config.durability ?? DURABILITY_DEFAULT)
    : null;
  const shape = {
    clients: config.clients,
    backup: config.backup,
    replication: config.replication,
    ...(config.timing ? { timing: config.timing } : {}),
  };
  const spawner = env.spawner(config.placement ?? 'worker-per-node');
  const cluster = new ExperimentCluster(spawner.spawn, shape, store);
  const step = (s: string, done: number): void => onProgress({ step: `${config.name}: ${s}`, done, total: 3 });
  try {
    step(`starting ${config.clients} clients`, 0);
    await cluster.startAll();
    await sleep(SETTLE_MS);
    step(`running ${config.clients} × ${config.opsPerClient} operations`, 1);
    const run = await drive(cluster, config, env, (p) => onProgress({ ...p, step: `${config.name}: ${p.step}` }));
    const sent = await cluster.messagesSent();
    await env.beforeTeardown?.();
    step('checking the history', 2);
    const result = scenarioResult({ config, ...run, sent, clockResolutionMs: clockResolutionMs() });
    step(`done: ${result.ok}/${result.issued} ok, ${verdict(result)}`, 3);
    return result;
  } finally {
    await cluster.stop();
    spawner.close();
  }
}
