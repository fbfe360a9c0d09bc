// What a write hit costs as the pages a client owns grow (10 to 10,000 of 4 KB), and how long
// the client then takes to come back from its log. A commit appends what changed, so the first
// must stay flat; the second is one snapshot and a bounded tail read back.
import { pageName } from '../sim/workload.ts';
import { DURABILITY_DEFAULT, type Durability } from '../protocol/config.ts';
import { commonNow } from '../host/env.ts';
import { browserEnv, type ScenarioEnv } from './env.ts';
import { ExperimentCluster } from './exp-cluster.ts';
import { summarize } from './stats.ts';
import type { LatencySummary, Progress } from './types.ts';

export interface OwnedPagesConfig {
  /** How many pages the client owns at each point, growing. */
  sizes: number[];
  /** The content of each page. */
  bytes: number;
  /** Timed write hits at each point, on pages the client owns. */
  hits: number;
  durability?: Durability;
}

export interface OwnedPagesPoint {
  owned: number;
  writeHit: LatencySummary;
  notLocal: number;
  failures: number;
}

export interface OwnedPagesResult {
  config: OwnedPagesConfig;
  points: OwnedPagesPoint[];
  /** The client killed with the most pages, then restarted: reading its state and building it. */
  recoveryMs: number;
  /** From the restart's call to its first read answered (its worker spawned, its log read, its report in). */
  backMs: number;
  /** Pages it came back owning. */
  recoveredPages: number;
}

export async function runOwnedPagesStep(
  c: OwnedPagesConfig,
  onProgress: Progress = () => {},
  env: ScenarioEnv = browserEnv(),
): Promise<OwnedPagesResult> {
  const store = await env.openStore(`ivy-exp-owned-${Date.now()}`, c.durability ?? DURABILITY_DEFAULT);
  const spawner = env.spawner('worker-per-node');
  const cluster = new ExperimentCluster(spawner.spawn, { clients: 1, backup: true, replication: 'streaming' }, store);
  try {
    await cluster.startAll();
    const points: OwnedPagesPoint[] = [];
    let owned = 0;
    for (const [i, n] of c.sizes.entries()) {
      onProgress({ step: `owned pages: taking ${owned + 1}..${n}`, done: i, total: c.sizes.length + 1 });
      const r = await cluster.api('c1').ownedPages({ first: owned + 1, last: n, bytes: c.bytes, hits: c.hits, seed: n });
      owned = n;
      points.push({ owned: n, writeHit: summarize(r.hitMs), notLocal: r.notLocal, failures: r.failures });
    }
    onProgress({ step: `owned pages: restarting c1 with ${owned} pages`, done: c.sizes.length, total: c.sizes.length + 1 });
    await cluster.kill('c1');
    const at = commonNow();
    const info = await cluster.restartClient('c1');
    const read = await cluster.api('c1').readPage(pageName(1));
    const backMs = commonNow() - at;
    if (!read.ok) throw new Error(`c1 came back without P1: ${read.error}`);
    const snapshot = await cluster.api('c1').snapshot();
    const recoveredPages = snapshot.role === 'client' ? snapshot.snapshot.pages.filter((p) => p.owner).length : 0;
    return { config: c, points, recoveryMs: info.recoveryMs, backMs, recoveredPages };
  } finally {
    await cluster.stop();
    spawner.close();
  }
}
