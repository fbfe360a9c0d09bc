// npx tsx lab/check-history.ts [--max-states N] FILE.jsonl[.gz] ...
// Checks recorded histories (the simulator's --history files, the experiments' histories) for
// linearizability and prints, per file, the verdict, the time the checker took and its search
// effort. Exits non-zero when a history is refuted or undecided.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { checkLinearizable, type KeyResult } from '../src/check/checker.ts';
import { parseHistory } from '../src/check/history.ts';

function verdict(keys: KeyResult[]): string {
  if (keys.some((k) => !k.ok && !k.unknown)) return 'REFUTED';
  if (keys.some((k) => k.unknown)) return 'undecided';
  return 'linearizable';
}

function main(): number {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { 'max-states': { type: 'string' } } });
  const maxStates = values['max-states'] === undefined ? undefined : Number(values['max-states']);
  if (positionals.length === 0 || (maxStates !== undefined && !(maxStates > 0))) {
    console.error('usage: npx tsx lab/check-history.ts [--max-states N] FILE.jsonl[.gz] ...');
    return 2;
  }
  let bad = 0;
  for (const file of positionals) {
    const raw = readFileSync(file);
    const events = parseHistory((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8'));
    const t0 = performance.now();
    const result = checkLinearizable(events, maxStates === undefined ? {} : { maxStates });
    const ms = performance.now() - t0;
    const ops = result.keys.reduce((n, k) => n + k.ops, 0);
    const states = result.keys.reduce((n, k) => n + (k.states ?? 0), 0);
    const parts = result.keys.reduce((n, k) => n + (k.parts ?? 0), 0);
    const worst = Math.max(0, ...result.keys.map((k) => k.states ?? 0));
    const v = verdict(result.keys);
    console.log(
      `${file}: ${v} in ${ms.toFixed(0)} ms (${events.length} events, ${ops} ops, ${result.keys.length} keys, ` +
        `${parts} parts, ${states} states, at most ${worst} on one key)`,
    );
    for (const k of result.keys) if (!k.ok) console.log(`  ${k.explanation ?? k.key}`);
    if (v !== 'linearizable') bad++;
  }
  return bad > 0 ? 1 : 0;
}

process.exitCode = main();
