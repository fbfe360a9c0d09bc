// Human-readable accounts of a refuted register history, for the run's report and the UI.
import type { Operation } from './checker-ops.ts';
import { DEAD, type RegisterSearch } from './checker-search.ts';

export type Explained = { explanation: string; culprit: Operation[] };

/** Where a search over part of a key's history began: its first event and the value held then. */
export type Cut = { event: number; state: number };

const PREFIX_TAIL = 8;

export function fmtValue(v: string | null | undefined): string {
  return v === null || v === undefined ? 'null' : JSON.stringify(v);
}

/** The register's content as a value id of `values`; DEAD stands for any value nobody reads. */
export function fmtState(values: readonly (string | null)[], state: number): string {
  return state === DEAD ? 'a value no later read returns' : fmtValue(values[state]);
}

export function describeOp(o: Operation): string {
  const end = o.completeIndex === Infinity ? '∞ (info)' : String(o.completeIndex);
  return `p${o.process} ${o.f} ${fmtValue(o.value)} [events ${o.invokeIndex}..${end}]`;
}

function whyNotNext(o: Operation, held: string, heldValue: string | null | undefined, keeper?: Operation): string {
  if (o.f === 'read' && o.value !== heldValue) return `reads ${fmtValue(o.value)} but the register holds ${held}`;
  if (o === keeper) return `still has to read ${held}`;
  if (o.f === 'write' && keeper) return `would overwrite ${held}, which p${keeper.process}'s read still has to return`;
  if (o.status === 'info') {
    return 'indeterminate write: no continuation with it (right before a read of its value) works';
  }
  return 'placing it next leads only to dead ends';
}

/**
 * Account of the search's deepest dead end; culprit = the ops that could not go next. `cut` is
 * set when the search covered only the part of the key's history from that cut on; `keeper`
 * is a read still to come of the value held there, which kept every write from going next.
 */
export function explainDeadEnd(
  key: string,
  total: number,
  search: RegisterSearch,
  values: readonly (string | null)[],
  cut?: Cut,
  keeper?: Operation,
): Explained {
  const d = search.deepest;
  const { ops } = search;
  const pick = (i: number): Operation[] => (ops[i] ? [ops[i]] : []);
  if (!d) return { explanation: `key ${key}: not linearizable`, culprit: [] };
  const held = fmtState(values, d.state);
  const lines = [`key ${key}: not linearizable (${total} ops, ${search.states} states explored).`];
  const start = fmtState(values, search.start);
  if (cut) lines.push(`Searched from the cut at event ${cut.event} (no operation open), where the register holds ${start}.`);
  const tail = d.prefix.slice(-PREFIX_TAIL).flatMap(pick);
  if (d.prefix.length === 0) {
    lines.push(`No operation can be linearized first (register ${cut ? `holding ${start}` : 'initially null'}).`);
  } else {
    const shown = d.prefix.length > tail.length ? `, last ${tail.length} shown` : '';
    const size = `${d.prefix.length} ops${shown}`;
    lines.push(`Longest linearizable prefix: ${size}, leaving the register at ${held}:`);
    for (const o of tail) lines.push(`  ${describeOp(o)}`);
  }
  const blocker = ops[d.blocker];
  if (blocker) {
    lines.push(`Then ${describeOp(blocker)} must take effect before it completes, but nothing can be placed next:`);
  }
  const culprit = [d.blocker, ...d.window.filter((i) => i !== d.blocker)].flatMap(pick);
  if (keeper && !culprit.includes(keeper)) culprit.splice(1, 0, keeper);
  const heldValue = d.state === DEAD ? undefined : values[d.state];
  for (const o of culprit) lines.push(`  ${describeOp(o)}: ${whyNotNext(o, held, heldValue, keeper)}`);
  return { explanation: lines.join('\n'), culprit };
}

/** Two values both written before a cut and both read after it: the register held only one. */
export function explainConflict(key: string, event: number, writes: Operation[], reads: Operation[]): Explained {
  const lines = [
    `key ${key}: not linearizable: at event ${event} no operation is open, every value here is ` +
      'written once, and these values were each written before it and read after it; the register held only one:',
  ];
  for (const o of [...writes, ...reads]) lines.push(`  ${describeOp(o)}`);
  return { explanation: lines.join('\n'), culprit: [...reads, ...writes] };
}
