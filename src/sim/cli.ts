// `npm run sim -- --seed 42 --clients 10 --pages 10 --ops 2000 --history out.jsonl`
// Runs one simulation (or a range of seeds), checks each history, prints one line per seed.
// `npm run sim -- --sweep 1-1000 [--faults kinds]` runs the tests' fault sweep over a range and
// prints its figures per fault kind.
import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { runAndCheck, summaryLine, type SimOptions } from './run.ts';
import { toJsonLine } from '../check/history.ts';
import { FAULT_KINDS, parseFaults, type FaultKind } from './nemesis.ts';
import { SweepPool } from './sweep-pool.ts';
import { sweepLine } from './sweep.ts';
import { DURABILITIES, DURABILITY_DEFAULT, isDurability, isReplicas, type Durability, type Replicas } from '../protocol/config.ts';

const USAGE = `usage: npm run sim -- [--seed N] [--seeds K] [--clients N] [--pages N] [--ops N]
       [--read-ratio R] [--faults all|none|${FAULT_KINDS.join(',')}] [--fault-count N]
       [--replication streaming|periodic] [--no-backup] [--durability ${DURABILITIES.join('|')}]
       [--replicas 0|1] [--history FILE] [--transcript]
       npm run sim -- --sweep FROM-TO [--faults all|kinds] [--durability ...] [--replicas 0|1] [--jobs N]
                                       (the tests' fault sweep, per kind, on N processes: all cores)
--faults all is every fault the durability must survive: power cuts only at disk. A sweep runs
odd seeds at disk and even ones at process unless --durability says one.`;

function number(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} wants a number, got ${JSON.stringify(v)}`);
  return n;
}

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' },
      seeds: { type: 'string' },
      clients: { type: 'string' },
      pages: { type: 'string' },
      ops: { type: 'string' },
      'read-ratio': { type: 'string' },
      history: { type: 'string' },
      transcript: { type: 'boolean' },
      help: { type: 'boolean' },
      faults: { type: 'string' },
      'fault-count': { type: 'string' },
      replication: { type: 'string' },
      'no-backup': { type: 'boolean' },
      sweep: { type: 'string' },
      durability: { type: 'string' },
      replicas: { type: 'string' },
      jobs: { type: 'string' },
    },
  });
  const replicas = Number(values.replicas ?? 0);
  if (!isReplicas(replicas)) throw new Error(`--replicas wants 0 or 1, got ${JSON.stringify(values.replicas)}`);
  const asked = values.durability;
  if (asked !== undefined && !isDurability(asked)) throw new Error(`--durability wants ${DURABILITIES.join(' or ')}`);
  const durability: Durability | undefined = asked;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  if (values.sweep !== undefined) {
    const kinds = values.faults === undefined || values.faults === 'all' ? 'all' : parseFaults(values.faults);
    const jobs = number(values.jobs, 'jobs', availableParallelism());
    if (!Number.isInteger(jobs) || jobs < 1)
      throw new Error(`--jobs wants a whole number of processes, got ${JSON.stringify(values.jobs)}`);
    return runSweep(values.sweep, kinds, durability, replicas, jobs);
  }
  const first = number(values.seed, 'seed', 1);
  const count = number(values.seeds, 'seeds', 1);
  const replication = values.replication ?? 'streaming';
  if (replication !== 'streaming' && replication !== 'periodic') {
    throw new Error(`--replication wants streaming or periodic, got ${JSON.stringify(replication)}`);
  }
  const faults = parseFaults(values.faults ?? 'none', durability ?? DURABILITY_DEFAULT);
  let failures = 0;
  for (let seed = first; seed < first + count; seed++) {
    const opts: SimOptions = {
      seed,
      clients: number(values.clients, 'clients', 10),
      pages: number(values.pages, 'pages', 10),
      ops: number(values.ops, 'ops', 2000),
      readRatio: number(values['read-ratio'], 'read-ratio', 0.5),
      transcript: values.transcript ?? false,
      faults,
      replication,
      backup: !values['no-backup'],
      durability: durability ?? DURABILITY_DEFAULT,
      replicas,
      nemesis: { faultCount: number(values['fault-count'], 'fault-count', 4) },
    };
    const outcome = runAndCheck(opts);
    console.log(summaryLine(opts, outcome));
    for (const line of outcome.sim.transcript) console.log(line);
    for (const v of outcome.problems) console.log(`  ${v}`);
    if (values.history) {
      const file = count > 1 ? values.history.replace(/(\.jsonl)?$/, `-${seed}.jsonl`) : values.history;
      writeFileSync(file, outcome.sim.history.map(toJsonLine).join('\n') + '\n');
    }
    if (outcome.problems.length > 0) failures += 1;
  }
  return failures > 0 ? 1 : 0;
}

/** The sweep over a seed range, once with every kind at once, then each kind alone on the same seeds. */
async function runSweep(
  range: string,
  faults: FaultKind[] | 'all',
  durability: Durability | undefined,
  replicas: Replicas,
  jobs: number,
): Promise<number> {
  const m = /^(\d+)-(\d+)$/.exec(range);
  if (!m) throw new Error(`--sweep wants FROM-TO, got ${JSON.stringify(range)}`);
  const [from, to] = [Number(m[1]), Number(m[2])];
  let bad = 0;
  const pool = new SweepPool(Math.min(jobs, to - from + 1));
  const report = async (label: string, kinds: readonly FaultKind[] | 'all'): Promise<void> => {
    const started = performance.now();
    const r = await pool.sweep({ from, to, faults: kinds, extra: { ...(durability ? { durability } : {}), replicas } });
    const ms = (performance.now() - started) / r.seeds;
    console.log(`${sweepLine(label, r)}; ${ms.toFixed(0)} ms/seed on ${pool.jobs} processes`);
    for (const b of r.bad.slice(0, 3)) console.log(`  ${b}`);
    bad += r.bad.length;
  };
  try {
    await report(faults === 'all' ? 'all kinds at once' : faults.join(','), faults);
    const each = faults === 'all' ? FAULT_KINDS.filter((k) => k !== 'power' || durability !== 'process') : faults;
    if (each.length > 1) for (const k of each) await report(k, [k]);
  } finally {
    pool.close();
  }
  return bad > 0 ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => (process.exitCode = code),
  (err: unknown) => {
    console.error(`sim: ${(err as Error).message}\n${USAGE}`);
    process.exitCode = 2;
  },
);
