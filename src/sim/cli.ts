// `npm run sim -- --seed 42 --clients 10 --pages 10 --ops 2000 --history out.jsonl`
// Runs one simulation (or a range of seeds), checks each history, prints one line per seed.
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runAndCheck, summaryLine, type SimOptions } from './run.ts';
import { toJsonLine } from './history.ts';

const USAGE = `usage: npm run sim -- [--seed N] [--seeds K] [--clients N] [--pages N] [--ops N]
       [--read-ratio R] [--history FILE] [--transcript]`;

function number(v: string | undefined, name: string, fallback: number): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isFinite(n)) throw new Error(`--${name} wants a number, got ${JSON.stringify(v)}`);
  return n;
}

function main(argv: string[]): number {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string' }, seeds: { type: 'string' }, clients: { type: 'string' },
      pages: { type: 'string' }, ops: { type: 'string' }, 'read-ratio': { type: 'string' },
      history: { type: 'string' }, transcript: { type: 'boolean' }, help: { type: 'boolean' },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const first = number(values.seed, 'seed', 1);
  const count = number(values.seeds, 'seeds', 1);
  let failures = 0;
  for (let seed = first; seed < first + count; seed++) {
    const opts: SimOptions = {
      seed,
      clients: number(values.clients, 'clients', 10),
      pages: number(values.pages, 'pages', 10),
      ops: number(values.ops, 'ops', 2000),
      readRatio: number(values['read-ratio'], 'read-ratio', 0.5),
      transcript: values.transcript ?? false,
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

try {
  process.exitCode = main(process.argv.slice(2));
} catch (err) {
  console.error(`sim: ${(err as Error).message}\n${USAGE}`);
  process.exitCode = 2;
}
