// Turns what the client workers timed into one history in the simulator's format, for the
// linearizability checker and for lab/results/. Each client's operations are already in order;
// they are merged by time. Two events with the same timestamp cannot be told apart, so an
// invocation is placed before a completion of another client at the same instant: that makes
// the two operations concurrent, which claims no order the clock did not show.
import type { ClientEvent, HistoryEvent, NemesisEvent } from '../check/history.ts';
import type { TimedOp } from './workload-runner.ts';

export interface ClientOps {
  process: number;
  ops: TimedOp[];
}

function eventsOf(process: number, ops: readonly TimedOp[]): ClientEvent[] {
  const out: ClientEvent[] = [];
  for (const op of ops) {
    out.push({ process, type: 'invoke', f: op.kind, key: op.page, value: op.written, time: op.invokedAt });
    const value = op.kind === 'write' ? op.written : op.outcome === 'ok' ? op.read : null;
    out.push({ process, type: op.outcome, f: op.kind, key: op.page, value, time: op.doneAt });
  }
  return out;
}

/** Events that may be placed next: invocations first, then by time. */
function before(a: HistoryEvent, b: HistoryEvent): boolean {
  if (a.time !== b.time) return a.time < b.time;
  return a.type === 'invoke' && b.type !== 'invoke';
}

/**
 * Merges the clients' events (each list in its own order) with fault events, times made
 * relative to `origin` so that histories read in milliseconds from the start.
 */
export function mergeHistory(clients: readonly ClientOps[], nemesis: readonly NemesisEvent[], origin: number): HistoryEvent[] {
  const lists: HistoryEvent[][] = [...clients.map((c) => eventsOf(c.process, c.ops)), [...nemesis]];
  const heads = lists.map(() => 0);
  const total = lists.reduce((n, l) => n + l.length, 0);
  const out: HistoryEvent[] = [];
  while (out.length < total) {
    let best = -1;
    for (let i = 0; i < lists.length; i++) {
      const e = lists[i]?.[heads[i] ?? 0];
      const b = best < 0 ? undefined : lists[best]?.[heads[best] ?? 0];
      if (e && (!b || before(e, b))) best = i;
    }
    const e = lists[best]?.[heads[best] ?? 0];
    if (!e) throw new Error('history merge ran out of events');
    heads[best] = (heads[best] ?? 0) + 1;
    out.push({ ...e, time: roundMs(e.time - origin) });
  }
  return out;
}

/** Microsecond precision is all the clock has; it also keeps the files short. */
function roundMs(t: number): number {
  return Math.round(t * 1000) / 1000;
}

/** As the simulator names them: crash, restart, leave (for good). */
export function faultEvent(action: 'kill' | 'restart' | 'leave', node: string, at: number): NemesisEvent {
  return { process: 'nemesis', type: 'info', f: action === 'kill' ? 'crash' : action, value: node, time: at };
}
