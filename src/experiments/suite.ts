// Every measurement `npm run experiments` makes, in order, as plain data: the issue's
// scenarios (basic vs fault-tolerant Ivy, CM failures and restarts, the seed's periodic
// replication, clients that leave for good under several leases), the baselines and the
// sweeps, the seed's workload and the clients sweep in both placements (a worker per node, and
// packed). `quick` is the smoke version CI runs.
import { TIMING_DEFAULTS } from '../protocol/config.ts';
import { clientNodeId, type NodeId } from '../protocol/ids.ts';
import { Rng } from '../sim/rng.ts';
import type { CentralStoreConfig } from './baselines.ts';
import type { CopySetConfig } from './copy-set.ts';
import type { DiskBenchConfig } from './disk-bench.ts';
import type { OwnedPagesConfig } from './owned-pages.ts';
import type { FaultStep, ScenarioConfig, WorkloadShape } from './types.ts';
import type { Placement } from '../workers/placement.ts';
import { DURABILITY_DEFAULT, type Durability } from '../protocol/config.ts';

export type Step =
  /** A sweep point names the parameter it sweeps and its value (for plots). */
  | { id: string; kind: 'scenario'; config: ScenarioConfig; sweep?: string; x?: number }
  | { id: string; kind: 'ping'; count: number }
  | { id: string; kind: 'central-store'; config: CentralStoreConfig }
  | { id: string; kind: 'copy-set'; config: CopySetConfig }
  /** What a commit costs on this disk, in every shape a host could write it (disk-bench.ts). */
  | { id: string; kind: 'disk'; config: DiskBenchConfig }
  /** A write hit's cost as a client's owned pages grow, and its recovery (owned-pages.ts). */
  | { id: string; kind: 'owned-pages'; config: OwnedPagesConfig }
  /** Run from Node with one tab per node (lab/experiments-tab.ts), not in the experiments page. */
  | { id: string; kind: 'tab'; config: TabStepConfig };

/** Tab mode: cm1, cm2 and a few client tabs (each tab is a renderer: few fit on 2 cores). */
export interface TabStepConfig extends WorkloadShape {
  /** Close cm1's tab `killAfterMs` after the start, open a restartCM tab `restartAfterMs` after cm2 took over. */
  restart: boolean;
  killAfterMs: number;
  restartAfterMs: number;
  /** After the last fault, clients keep going this long (then stop, or end their list first). */
  tailMs: number;
  /**
   * A client tab closes for good `afterMs` after the start, once it holds a page and a copy;
   * with `cmFailsAfterMs`, the acting CM's tab closes that long after. `pageClasses`: as in a
   * ScenarioConfig.
   */
  leave?: { client: NodeId; afterMs: number; cmFailsAfterMs?: number; pageClasses?: boolean };
}

interface Sizes {
  opsPerClient: number;
  repeats: number;
  cycles: number;
  clientCounts: number[];
  /** The clients sweep again in packed placement (the seed's workload runs in both always). */
  packedSweep: boolean;
  readRatios: number[];
  pageCounts: number[];
  copySets: number[];
  copyRepeats: number;
  sweepOps: number;
  /**
   * The clients sweep keeps its total work under this many operations (fewer per client as
   * clients grow): with every fault a commit, 128 clients × 300 operations on 10 pages run at
   * about 150 ops/s on 2 cores, minutes per step for no better figure.
   */
  sweepOpsTotal: number;
}

const FULL: Sizes = {
  opsPerClient: 1000,
  repeats: 3,
  cycles: 3,
  clientCounts: [1, 2, 4, 8, 16, 32, 64, 128, 256],
  packedSweep: true,
  readRatios: [0, 0.25, 0.5, 0.75, 0.9, 1],
  pageCounts: [10, 100, 1000, 10_000],
  copySets: [0, 1, 2, 4, 8, 16, 32],
  copyRepeats: 20,
  sweepOps: 300,
  sweepOpsTotal: 64 * 300,
};

const QUICK: Sizes = {
  opsPerClient: 100,
  repeats: 1,
  cycles: 2,
  clientCounts: [1, 4, 16],
  packedSweep: false,
  readRatios: [0, 0.9],
  pageCounts: [10, 1000],
  copySets: [0, 4],
  copyRepeats: 4,
  sweepOps: 50,
  sweepOpsTotal: 16 * 50,
};

/** Fault scenarios keep issuing operations until this long after the last fault. */
const TAIL_MS = 1500;
/** Lease values the leave scenarios measure besides the default (config.ts). */
const OTHER_LEASES_MS = [500, 2000];
/** Cap on each client's operations in a fault scenario (the duration ends it first). */
const FAULT_OPS_CAP = 100_000;

const between = (rng: Rng, lo: number, hi: number): number => Math.round(rng.between(lo, hi));

/** Named fault schedules; times in ms after the workload starts, drawn from the seed. */
export function faultSchedule(
  kind: 'primary-fails' | 'primary-restarts' | 'primary-cycles' | 'both-cycles',
  seed: number,
  cycles: number,
): FaultStep[] {
  const rng = new Rng(seed);
  let t = between(rng, 300, 700);
  const steps: FaultStep[] = [];
  const at = (dt: number, action: FaultStep['action'], node: FaultStep['node']): void => {
    t += dt;
    steps.push({ atMs: t, action, node });
  };
  if (kind === 'primary-fails') at(0, 'kill', 'cm1');
  if (kind === 'primary-restarts') {
    at(0, 'kill', 'cm1');
    at(1000, 'restart', 'cm1');
  }
  for (let c = 0; kind === 'primary-cycles' && c < cycles; c++) {
    at(c === 0 ? 0 : between(rng, 700, 1000), 'kill', 'cm1');
    at(800, 'restart', 'cm1');
  }
  for (let c = 0; kind === 'both-cycles' && c < cycles; c++) {
    const gap = c === 0 ? 0 : between(rng, 800, 1100);
    // Odd cycles: the acting primary dies, then the backup that took over. Even cycles: the
    // standby dies first, then the acting CM; the standby comes back first.
    const [first, second] = c % 2 === 0 ? (['cm1', 'cm2'] as const) : (['cm2', 'cm1'] as const);
    at(gap, 'kill', first);
    at(c % 2 === 0 ? between(rng, 500, 700) : 200, 'kill', second);
    at(300, 'restart', c % 2 === 0 ? 'cm1' : 'cm2');
    at(500, 'restart', c % 2 === 0 ? 'cm2' : 'cm1');
  }
  return steps;
}

function base(name: string, s: Sizes, seed: number): ScenarioConfig {
  return {
    name,
    clients: 10,
    pages: 10,
    readRatio: 0.5,
    opsPerClient: s.opsPerClient,
    seed,
    backup: true,
    replication: 'streaming',
    faults: [],
    persist: true,
  };
}

function faultScenarios(s: Sizes): Step[] {
  const kinds = ['primary-fails', 'primary-restarts', 'primary-cycles', 'both-cycles'] as const;
  return (['streaming', 'periodic'] as const).flatMap((replication) =>
    kinds.map((kind, i): Step => {
      const faults = faultSchedule(kind, 100 + i, s.cycles);
      const last = Math.max(...faults.map((f) => f.atMs));
      const name = replication === 'streaming' ? kind : `periodic-${kind}`;
      return {
        id: name,
        kind: 'scenario',
        config: {
          ...base(name, s, 10 + i),
          replication,
          faults,
          opsPerClient: FAULT_OPS_CAP,
          durationMs: last + TAIL_MS,
          keepHistory: true,
        },
      };
    }),
  );
}

/**
 * When a client leaves for good, and when the acting CM fails after it. The CM fails a second
 * after the departed client must have been deemed away (a lease and the drift margin), and the
 * clients go on long enough after the last fault for the new CM's wait for reports (a lease).
 */
export function leaveSchedule(
  kind: 'client-leaves' | 'client-leaves-then-cm-fails',
  seed: number,
  leaseMs: number,
): { faults: FaultStep[]; durationMs: number } {
  const rng = new Rng(seed);
  const leaveAt = between(rng, 400, 700);
  const afterMs = Math.round(1.1 * leaseMs) + 1000;
  const faults: FaultStep[] = [{ atMs: leaveAt, action: 'leave', node: clientNodeId(3) }];
  if (kind === 'client-leaves-then-cm-fails') faults.push({ atMs: leaveAt + afterMs, action: 'kill', node: 'cm1' });
  const last = Math.max(...faults.map((f) => f.atMs));
  return { faults, durationMs: last + afterMs + TAIL_MS };
}

/** The default lease first (ids without a suffix), then the others (full runs only). */
function leaveScenarios(s: Sizes, quick: boolean): Step[] {
  const leases = [TIMING_DEFAULTS.leaseMs, ...(quick ? [] : OTHER_LEASES_MS.filter((l) => l !== TIMING_DEFAULTS.leaseMs))];
  return leases.flatMap((leaseMs) =>
    (['client-leaves', 'client-leaves-then-cm-fails'] as const).map((kind, i): Step => {
      const name = leaseMs === TIMING_DEFAULTS.leaseMs ? kind : `${kind}-lease-${leaseMs}`;
      return {
        id: name,
        kind: 'scenario',
        config: {
          ...base(name, s, 30 + i),
          ...leaveSchedule(kind, 300 + i, leaseMs),
          opsPerClient: FAULT_OPS_CAP,
          keepHistory: true,
          timing: { leaseMs },
          pageClasses: true,
        },
      };
    }),
  );
}

/**
 * A scenario step in another placement: `-packed` on its id, name and sweep, so that both
 * placements of one scenario sit side by side in one run. Other steps are left as they are.
 */
export function inPlacement(step: Step, placement: Placement): Step {
  if (step.kind !== 'scenario' || placement === (step.config.placement ?? 'worker-per-node')) return step;
  const tag = (x: string): string => (placement === 'packed' ? `${x}-packed` : x.replace(/-packed$/, ''));
  const moved: Step = { ...step, id: tag(step.id), config: { ...step.config, name: tag(step.config.name), placement } };
  return step.sweep === undefined ? moved : { ...moved, sweep: tag(step.sweep) };
}

function sweeps(s: Sizes): Step[] {
  const sweep = (name: 'clients' | 'readRatio' | 'pages', x: number): Step => {
    const id = `sweep-${name}-${x}`;
    const ops = name === 'clients' ? Math.max(1, Math.min(s.sweepOps, Math.floor(s.sweepOpsTotal / x))) : s.sweepOps;
    return { id, kind: 'scenario', sweep: name, x, config: { ...base(id, s, 7), opsPerClient: ops, [name]: x } };
  };
  const clients = s.clientCounts.map((n) => sweep('clients', n));
  return [
    ...clients,
    ...(s.packedSweep ? clients.map((step) => inPlacement(step, 'packed')) : []),
    ...s.readRatios.map((r) => sweep('readRatio', r)),
    ...s.pageCounts.map((p) => sweep('pages', p)),
    { id: 'copy-set', kind: 'copy-set', config: { sizes: s.copySets, repeats: s.copyRepeats, persist: true } },
    // The same without IndexedDB: how much of a fault's latency is the persistence of client state.
    { id: 'copy-set-nopersist', kind: 'copy-set', config: { sizes: s.copySets, repeats: s.copyRepeats, persist: false } },
  ];
}

function tabSteps(quick: boolean): Step[] {
  const base = { clients: 4, pages: 10, readRatio: 0.5, seed: 1, killAfterMs: 300, restartAfterMs: 500, tailMs: 1000 };
  // The leaving tab goes once the others are well under way; they go on past the wait for its lease.
  const away = Math.round(1.1 * TIMING_DEFAULTS.leaseMs);
  const leave = { ...base, opsPerClient: FAULT_OPS_CAP, restart: false, tailMs: away + 1500 };
  const leaver = { client: clientNodeId(3), afterMs: 800, pageClasses: true };
  return [
    { id: 'tab-ft-1', kind: 'tab', config: { ...base, name: 'tab-ft-1', opsPerClient: quick ? 50 : 300, restart: false } },
    {
      id: 'tab-primary-restarts',
      kind: 'tab',
      config: { ...base, name: 'tab-primary-restarts', opsPerClient: quick ? 2000 : 5000, seed: 11, restart: true },
    },
    { id: 'tab-client-leaves', kind: 'tab', config: { ...leave, name: 'tab-client-leaves', seed: 31, leave: leaver } },
    {
      id: 'tab-client-leaves-then-cm-fails',
      kind: 'tab',
      config: { ...leave, name: 'tab-client-leaves-then-cm-fails', seed: 32, leave: { ...leaver, cmFailsAfterMs: away + 1000 } },
    },
  ];
}

export function suite(quick: boolean): Step[] {
  const s = quick ? QUICK : FULL;
  const store = (id: string, readRatio: number, opsPerClient: number): Step => ({
    id,
    kind: 'central-store',
    config: { name: id, clients: 10, pages: 10, readRatio, opsPerClient, seed: 1 },
  });
  const seedWorkload = (id: string, persist: boolean, durability: Durability = DURABILITY_DEFAULT): Step => ({
    id,
    kind: 'scenario',
    config: { ...base(id, s, 42), opsPerClient: 100, persist, durability },
  });
  const seed = seedWorkload('seed-workload', true);
  // The same without a disk (full runs): what placement does for the protocol's own path; and
  // at `disk` durability, every commit flushed to the device.
  const seedMemory = quick ? [] : [seedWorkload('seed-workload-nopersist', false)];
  const seedDisk = quick ? [] : [seedWorkload('seed-workload-disk', true, 'disk')];
  const noFaults: Step[] = [];
  for (let r = 1; r <= s.repeats; r++) {
    noFaults.push({ id: `basic-${r}`, kind: 'scenario', config: { ...base(`basic-${r}`, s, r), backup: false, persist: false } });
    noFaults.push({ id: `ft-${r}`, kind: 'scenario', config: { ...base(`ft-${r}`, s, r), keepHistory: r === 1 } });
    // The same at `disk` durability (a flush before anything that depends on a commit leaves),
    // and without a disk at all: what durability before acknowledgement costs at each level.
    noFaults.push({ id: `ft-disk-${r}`, kind: 'scenario', config: { ...base(`ft-disk-${r}`, s, r), durability: 'disk' } });
    noFaults.push({ id: `ft-nopersist-${r}`, kind: 'scenario', config: { ...base(`ft-nopersist-${r}`, s, r), persist: false } });
  }
  return [
    { id: 'ping', kind: 'ping', count: quick ? 200 : 2000 },
    { id: 'disk', kind: 'disk', config: quick ? { runMs: 300, rounds: 1 } : { runMs: 1000, rounds: 3 } },
    {
      id: 'owned-pages',
      kind: 'owned-pages',
      config: { sizes: quick ? [10, 100, 1000] : [10, 100, 1000, 10_000], bytes: 4096, hits: quick ? 200 : 1000 },
    },
    ...noFaults,
    store('central-store-50', 0.5, s.opsPerClient),
    { id: 'read-mostly', kind: 'scenario', config: { ...base('read-mostly', s, 1), readRatio: 0.9 } },
    store('central-store-90', 0.9, s.opsPerClient),
    seed,
    inPlacement(seed, 'packed'),
    ...seedMemory.flatMap((step) => [step, inPlacement(step, 'packed')]),
    ...seedDisk.map((step) => inPlacement(step, 'packed')),
    ...faultScenarios(s),
    ...leaveScenarios(s, quick),
    ...sweeps(s),
    ...tabSteps(quick),
  ];
}
