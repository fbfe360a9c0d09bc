// The linearizability verdict of a session's operations so far, with the operations the
// checker blames mapped back to the bars the timeline draws. A session that began mid-run
// (nodes restarted from their disks, the buffer trimmed or cleared) did not see every write:
// values from before it count as written before it, and the verdict says so.
import { checkLinearizable } from '../../check/checker.ts';
import { toHistory } from './ops.ts';
import { NO_PREHISTORY, type Inherited, type OpRecord, type Prehistory } from './types.ts';

/** The page must stay responsive: a search this large is reported as undecided. */
export const LIVE_MAX_STATES = 200_000;

export interface LinVerdict {
  status: 'empty' | 'ok' | 'fail' | 'unknown';
  summary: string;
  explanation: string | null;
  culprits: OpRecord[];
  /** What the verdict took on trust from before the history: "P1 from c1's disk". */
  assumed: string[];
}

/**
 * In a history that lost its beginning, a read may return a value written before it: each such
 * value counts as written by the time of the first read that returned it.
 */
export function unseenWrites(ops: readonly OpRecord[], known: readonly Inherited[]): Inherited[] {
  const written = new Set([
    ...ops.filter((o) => o.kind === 'write').map((o) => `${o.page}\u0000${o.value}`),
    ...known.map((v) => `${v.page}\u0000${v.value}`),
  ]);
  const out = new Map<string, Inherited>();
  for (const o of [...ops].sort((a, b) => a.invokeAt - b.invokeAt)) {
    if (o.kind !== 'read' || o.outcome !== 'ok' || o.value === null) continue;
    const key = `${o.page}\u0000${o.value}`;
    if (written.has(key) || out.has(key)) continue;
    out.set(key, { at: o.invokeAt, node: 'before the history', page: o.page, value: o.value });
  }
  return [...out.values()];
}

function assumptions(inherited: readonly Inherited[]): string[] {
  const pages = new Map<string, Set<string>>();
  for (const v of inherited) pages.set(v.page, (pages.get(v.page) ?? new Set()).add(v.node));
  return [...pages]
    .sort(([a], [b]) => a.localeCompare(b, undefined, { numeric: true }))
    .map(([page, from]) => `${page} from ${[...from].join(', ')}`);
}

export function linVerdict(ops: readonly OpRecord[], prehistory: Prehistory = NO_PREHISTORY, maxStates = LIVE_MAX_STATES): LinVerdict {
  const done = ops.filter((o) => o.outcome !== 'open').length;
  if (ops.length === 0) return { status: 'empty', summary: 'no operations yet', explanation: null, culprits: [], assumed: [] };
  const inherited = [...prehistory.inherited, ...(prehistory.partial ? unseenWrites(ops, prehistory.inherited) : [])];
  const assumed = assumptions(inherited);
  const history = toHistory(ops, [], inherited);
  const byId = new Map(ops.map((o) => [o.id, o]));
  let result;
  try {
    result = checkLinearizable(history.events, { maxStates });
  } catch (e) {
    return { status: 'fail', summary: 'the history is malformed', explanation: (e as Error).message, culprits: [], assumed };
  }
  const pages = new Set(ops.map((o) => o.page)).size;
  const counts = `${ops.length} operation(s), ${done} completed, on ${pages} page(s)`;
  if (result.ok) return { status: 'ok', summary: `linearizable: ${counts}`, explanation: null, culprits: [], assumed };
  const bad = result.keys.find((k) => !k.ok && !k.unknown) ?? result.keys.find((k) => !k.ok);
  const culprits = (bad?.culprit ?? []).flatMap((c) => {
    const id = history.opIds[c.invokeIndex];
    const op = id === null || id === undefined ? undefined : byId.get(id);
    return op ? [op] : [];
  });
  if (bad?.unknown)
    return { status: 'unknown', summary: `undecided (search limit): ${counts}`, explanation: bad.explanation ?? null, culprits, assumed };
  return {
    status: 'fail',
    summary: `NOT linearizable on ${bad?.key ?? '?'}: ${counts}`,
    explanation: bad?.explanation ?? null,
    culprits,
    assumed,
  };
}
