// What a client's request in flight is doing, from the messages its host reported: sent and
// waiting, retried, or lost to a partition. A client that only says "writing P1…" for seconds
// looks hung; one that says "attempt 4 to cm1 lost: link partitioned; retrying" is understood.
import type { TracedMessage } from '../../host/trace.ts';
import { readableReq } from './text.ts';

export interface InFlight {
  req: string;
  kind: 'read' | 'write';
  page: string;
}

const REQUEST_TYPES: ReadonlySet<string> = new Set(['READ_REQUEST', 'WRITE_REQUEST']);

/** Keeps a client's own request sends (the recent ones), for `requestStatus`. */
export function isRequestSend(m: TracedMessage, node: string): boolean {
  return m.from === node && (m.fate === 'sent' || m.fate === 'lost') && REQUEST_TYPES.has(m.type);
}

/** One line on the request in flight; null when there is none. `cm` is the CM the client follows. */
export function requestStatus(
  node: string,
  cm: string,
  inFlight: InFlight | null,
  sends: readonly TracedMessage[],
  now: number,
): string | null {
  if (!inFlight) return null;
  const mine = sends.filter((m) => m.req === inFlight.req && isRequestSend(m, node));
  const req = readableReq(inFlight.req);
  const last = mine[mine.length - 1];
  if (!last) return `request ${req} has not left ${node}: it has no link to ${cm}; it retries until one is up`;
  const waited = `${((now - (mine[0]?.at ?? now)) / 1000).toFixed(1)} s`;
  if (last.fate === 'lost') {
    return `request ${req}: attempt ${mine.length} to ${last.to} lost, the link ${node}–${last.to} is partitioned; retrying (${waited})`;
  }
  if (mine.length === 1) return `request ${req} sent to ${last.to}; waiting for the answer (${waited})`;
  return `request ${req}: attempt ${mine.length} to ${last.to}, no answer to the earlier ones yet; retrying (${waited})`;
}
