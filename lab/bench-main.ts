// The measurement behind `npm run bench` (lab/bench.ts builds and runs it):
// [--runs 15] [--rounds 300] [--clients 8] [--pages 10] [--json: per-run figures, for comparisons]
// Microseconds per message for the protocol core's step() (plus the ready() that drains it),
// per message kind, over repeated runs on a fresh cluster (lab/bench-cluster.ts). Printed
// with min / median / max of the per-run means, next to figures measured the same way in the
// same run: an empty timed region (the timer's own cost, included in every figure), a copy of
// each delivered message (a trivial baseline, for comparing machines) and the validator that
// hosts run on every frame from outside (parseMessage), per kind.
import { parseArgs } from 'node:util';
import { median } from '../src/experiments/targets.ts';
import { PAGE_SIZE_BYTES_DEFAULT } from '../src/protocol/limits.ts';
import type { Message, MessageType } from '../src/protocol/messages.ts';
import { parseMessage } from '../src/protocol/validate.ts';
import { addTime, BenchCluster, type BenchShape, type Tally } from './bench-cluster.ts';

const TARGET_US = 3;

type RunFigures = { steps: Tally; validate: Tally; copyUs: number; timerUs: number; allUs: number; messages: number };

function options(): BenchShape & { runs: number; json: boolean } {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string' },
      rounds: { type: 'string' },
      clients: { type: 'string' },
      pages: { type: 'string' },
      json: { type: 'boolean' },
    },
  });
  const int = (v: string | undefined, name: string, fallback: number, min: number): number => {
    const n = v === undefined ? fallback : Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} wants an integer of at least ${min}, got ${v}`);
    return n;
  };
  return {
    runs: int(values.runs, 'runs', 15, 1),
    rounds: int(values.rounds, 'rounds', 300, 1),
    clients: int(values.clients, 'clients', 8, 4),
    pages: int(values.pages, 'pages', 10, 1),
    json: values.json === true,
  };
}

/** Times `f` on each message the way the cluster times step(): one timer pair per message. */
function timeEach(messages: readonly Message[], f: (m: Message) => unknown, into?: Tally): number {
  let total = 0;
  let sink = 0;
  for (const m of messages) {
    const t0 = performance.now();
    const out = f(m);
    const ms = performance.now() - t0;
    if (out !== undefined) sink++;
    total += ms;
    if (into) addTime(into, m.type, ms);
  }
  if (sink < 0) console.log(sink); // keeps the results observable
  return (1000 * total) / Math.max(1, messages.length);
}

function oneRun(shape: BenchShape): RunFigures {
  const cluster = new BenchCluster(shape);
  for (let i = 0; i < shape.rounds; i++) cluster.round(i);
  const msgs = cluster.delivered;
  const validate: Tally = new Map();
  timeEach(msgs, (m) => parseMessage(m, PAGE_SIZE_BYTES_DEFAULT), validate);
  const copyUs = timeEach(msgs, (m) => ({ ...m }));
  const timerUs = timeEach(msgs, () => undefined);
  let total = 0;
  for (const t of cluster.steps.values()) total += sum(t);
  if (cluster.opsDone < shape.rounds * 3) throw new Error(`bench: only ${cluster.opsDone} operations completed`);
  return { steps: cluster.steps, validate, copyUs, timerUs, allUs: (1000 * total) / msgs.length, messages: msgs.length };
}

const sum = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0);
/** Mean µs of a run's samples. */
const us = (t: readonly number[] | undefined): number => (t && t.length > 0 ? (1000 * sum(t)) / t.length : NaN);
/** Median µs of one message, over every run's samples: what a message costs when no GC or preemption hits it. */
const typical = (runs: readonly RunFigures[], k: MessageType): number => 1000 * (median(runs.flatMap((r) => r.steps.get(k) ?? [])) ?? NaN);

function spread(xs: number[]): string {
  const f = (x: number | null | undefined): string => (x === null || x === undefined ? '-' : x.toFixed(2));
  return `${f(Math.min(...xs))} / ${f(median(xs))} / ${f(Math.max(...xs))}`;
}

function main(): void {
  const opts = options();
  oneRun(opts); // warm-up: the JIT compiles the hot paths before anything is measured
  const runs = Array.from({ length: opts.runs }, () => oneRun(opts));
  const kinds = [...(runs[0]?.steps.keys() ?? [])].sort() as MessageType[];
  const first = runs[0]!;
  if (opts.json) {
    const perRun = (f: (r: RunFigures) => number): number[] => runs.map(f);
    const steps = Object.fromEntries(kinds.map((k) => [k, perRun((r) => us(r.steps.get(k)))]));
    const medians = Object.fromEntries(kinds.map((k) => [k, perRun((r) => 1000 * (median(r.steps.get(k) ?? []) ?? NaN))]));
    const validate = Object.fromEntries(kinds.map((k) => [k, perRun((r) => us(r.validate.get(k)))]));
    console.log(
      JSON.stringify({
        steps,
        medians,
        validate,
        all: perRun((r) => r.allUs),
        copy: perRun((r) => r.copyUs),
        timer: perRun((r) => r.timerUs),
      }),
    );
    return;
  }
  console.log(
    `core step() per message kind: ${opts.runs} runs x ${opts.rounds} rounds, ${opts.clients} clients, ${opts.pages} pages ` +
      `(${first.messages} messages a run); node ${process.version}`,
  );
  console.log(
    'µs per message: min / median / max of the per-run means (GC included; on a loaded machine trust the min); ' +
      '"median message" pools every run\'s calls; "validate" is parseMessage, which hosts add per frame from outside',
  );
  const rows: string[][] = [['kind', 'msgs/run', 'step + ready', 'median message', 'validate']];
  for (const k of kinds) {
    const steps = spread(runs.map((r) => us(r.steps.get(k))));
    rows.push([
      k,
      String(first.steps.get(k)?.length ?? 0),
      steps,
      typical(runs, k).toFixed(2),
      spread(runs.map((r) => us(r.validate.get(k)))),
    ]);
  }
  rows.push(['all kinds', String(first.messages), spread(runs.map((r) => r.allUs)), '', '']);
  rows.push(['baseline: copy {...m}', '', spread(runs.map((r) => r.copyUs)), '', '']);
  rows.push(['timer alone', '', spread(runs.map((r) => r.timerUs)), '', '']);
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  for (const r of rows) console.log(r.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]!) : cell.padStart(widths[c]!))).join('  '));
  const best = Math.min(...runs.map((r) => r.allUs));
  const all = median(runs.map((r) => r.allUs)) ?? NaN;
  const copy = median(runs.map((r) => r.copyUs)) ?? NaN;
  const slowest = kinds.map((k) => [k, typical(runs, k)] as const).sort((a, b) => b[1] - a[1])[0];
  const met = (x: number): string => (x <= TARGET_US ? 'met' : 'not met');
  console.log(
    `all kinds: ${best.toFixed(2)} µs per message in the least disturbed run (target ${TARGET_US} µs: ${met(best)}), ` +
      `${all.toFixed(2)} µs in the median run = ${(all / copy).toFixed(1)}x its baseline copy; ` +
      `slowest kind by median message: ${slowest?.[0]} at ${slowest?.[1].toFixed(2)} µs (${met(slowest?.[1] ?? NaN)})`,
  );
}

main();
