// The linearizability verdict of a session's operations so far, with the operations the
// checker blames mapped back to the bars the timeline draws.
import { checkLinearizable } from '../../sim/checker.ts';
import { toHistory } from './ops.ts';
import type { OpRecord } from './types.ts';

/** The page must stay responsive: a search this large is reported as undecided. */
export const LIVE_MAX_STATES = 200_000;

export interface LinVerdict {
  status: 'empty' | 'ok' | 'fail' | 'unknown';
  summary: string;
  explanation: string | null;
  culprits: OpRecord[];
}

export function linVerdict(ops: readonly OpRecord[], maxStates = LIVE_MAX_STATES): LinVerdict {
  const done = ops.filter((o) => o.outcome !== 'open').length;
  if (ops.length === 0) return { status: 'empty', summary: 'no operations yet', explanation: null, culprits: [] };
  const history = toHistory(ops);
  const byId = new Map(ops.map((o) => [o.id, o]));
  let result;
  try {
    result = checkLinearizable(history.events, { maxStates });
  } catch (e) {
    return { status: 'fail', summary: 'the history is malformed', explanation: (e as Error).message, culprits: [] };
  }
  const pages = result.keys.length;
  const counts = `${ops.length} operation(s), ${done} completed, on ${pages} page(s)`;
  if (result.ok) return { status: 'ok', summary: `linearizable: ${counts}`, explanation: null, culprits: [] };
  const bad = result.keys.find((k) => !k.ok && !k.unknown) ?? result.keys.find((k) => !k.ok);
  const culprits = (bad?.culprit ?? []).flatMap((c) => {
    const id = history.opIds[c.invokeIndex];
    const op = id === null || id === undefined ? undefined : byId.get(id);
    return op ? [op] : [];
  });
  if (bad?.unknown) return { status: 'unknown', summary: `undecided (search limit): ${counts}`, explanation: bad.explanation ?? null, culprits };
  return { status: 'fail', summary: `NOT linearizable on ${bad?.key ?? '?'}: ${counts}`, explanation: bad?.explanation ?? null, culprits };
}
