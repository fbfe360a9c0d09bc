// Write-fault latency against the size of the copy set. For each size k, k readers take read
// copies of one page, one at a time, then a client that holds no copy writes it: the CM must
// invalidate all k copies before the write proceeds. Invalidations go out in parallel, so the
// latency should stay flat as k grows. The readers' own read faults, taken one at a time on an
// idle cluster, are the unloaded read-fault latency the hop baseline is compared with.
import { clientNodeId } from '../protocol/ids.ts';
import type { OpRequest } from '../protocol/client.ts';
import type { TimedOp } from './workload-runner.ts';
import { browserEnv, type ScenarioEnv } from './env.ts';
import { ExperimentCluster } from './exp-cluster.ts';
import { DURABILITY_DEFAULT, type Durability } from '../protocol/config.ts';
import { summarize } from './stats.ts';
import type { LatencySummary, Progress } from './types.ts';

export interface CopySetConfig {
  /** Copy-set sizes to measure, e.g. [0, 1, 2, 4, 8, 16, 32]. */
  sizes: number[];
  /** Timed writes per size. */
  repeats: number;
  persist: boolean;
  durability?: Durability;
}

export interface CopySetPoint {
  readers: number;
  writeFault: LatencySummary;
  /** The readers' read faults, one at a time. */
  readFault: LatencySummary;
  failures: number;
}

export interface CopySetResult {
  config: CopySetConfig;
  points: CopySetPoint[];
}

const PAGE = 'P1';

async function one(cluster: ExperimentCluster, client: number, op: OpRequest): Promise<TimedOp> {
  const report = await cluster.api(clientNodeId(client)).runWorkload({ ops: [op] });
  const done = report.ops[0];
  if (!done) throw new Error(`c${client} ran no operation`);
  return done;
}

async function measure(cluster: ExperimentCluster, k: number, repeats: number, writers: [number, number]): Promise<CopySetPoint> {
  const writes: TimedOp[] = [];
  const reads: TimedOp[] = [];
  for (let t = 0; t < repeats; t++) {
    // The other writer owns the page from the last round; the readers copy it from that owner.
    const writer = writers[t % 2] ?? writers[0];
    for (let r = 1; r <= k; r++) reads.push(await one(cluster, r, { kind: 'read', page: PAGE }));
    writes.push(await one(cluster, writer, { kind: 'write', page: PAGE, value: `k${k}.${t}` }));
  }
  const ok = (ops: TimedOp[]): number[] => ops.filter((o) => o.outcome === 'ok' && !o.local).map((o) => o.doneAt - o.invokedAt);
  const failures = [...writes, ...reads].filter((o) => o.outcome !== 'ok').length;
  return { readers: k, writeFault: summarize(ok(writes)), readFault: summarize(ok(reads)), failures };
}

export async function runCopySet(
  c: CopySetConfig,
  onProgress: Progress = () => {},
  env: ScenarioEnv = browserEnv(),
): Promise<CopySetResult> {
  const most = Math.max(0, ...c.sizes);
  const writers: [number, number] = [most + 1, most + 2];
  const store = c.persist ? await env.openStore(`ivy-exp-copyset-${Date.now()}`, c.durability ?? DURABILITY_DEFAULT) : null;
  const spawner = env.spawner('worker-per-node');
  const cluster = new ExperimentCluster(spawner.spawn, { clients: most + 2, backup: true, replication: 'streaming' }, store);
  try {
    onProgress({ step: `copy set: starting ${most + 2} clients`, done: 0, total: c.sizes.length });
    await cluster.startAll();
    // The first write makes writer A the owner; every timed write after it is a fault.
    await one(cluster, writers[1], { kind: 'write', page: PAGE, value: 'start' });
    const points: CopySetPoint[] = [];
    for (const [i, k] of c.sizes.entries()) {
      points.push(await measure(cluster, k, c.repeats, writers));
      onProgress({ step: `copy set: ${k} readers`, done: i + 1, total: c.sizes.length });
    }
    return { config: c, points };
  } finally {
    await cluster.stop();
    spawner.close();
  }
}
