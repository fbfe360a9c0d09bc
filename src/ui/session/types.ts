// What the dashboard's protocol views show, live or replayed: the messages, the operations and
// the failure-handling events of one session, all on one clock (milliseconds).
import type { OpKind } from '../../protocol/node.ts';
import type { OpTrace, TracedMessage } from '../../host/trace.ts';

export type FailureKind =
  | 'takeover'
  | 'step-down'
  | 'epoch'
  | 'change-cm'
  | 'im-back'
  | 'cm-state'
  | 'away'
  | 'back'
  | 'kill'
  | 'start'
  | 'partition'
  | 'heal'
  | 'log';

/** Something that matters to failure handling: a takeover, a new epoch, a kill, a partition. */
export interface FailureEvent {
  at: number;
  node: string | null;
  kind: FailureKind;
  text: string;
  /** The other end of a partitioned or healed link. */
  peer?: string;
}

/**
 * A page value the session did not see written: what a node restarted from its persisted state
 * brought back, or what the clients held when the session was cleared.
 */
export interface Inherited {
  at: number;
  node: string;
  page: string;
  value: string;
}

/** What the session knows of the run before its own history began. */
export interface Prehistory {
  inherited: readonly Inherited[];
  /** Operations before the history's start were let go (buffer full, or cleared): it begins mid-run. */
  partial: boolean;
}

export const NO_PREHISTORY: Prehistory = { inherited: [], partial: false };

/** The raw material of a session; everything the views show is computed from it. */
export interface SessionRecord extends Prehistory {
  messages: readonly TracedMessage[];
  ops: readonly OpTrace[];
  failures: readonly FailureEvent[];
}

export type OpOutcome = 'ok' | 'fail' | 'info' | 'open';

/** One operation from invoke to completion, as Jepsen draws it. */
export interface OpRecord {
  id: number;
  node: string;
  /** The history's process: the client number, plus 1000 per overlapping operation of it. */
  process: number;
  kind: OpKind;
  page: string;
  /** The value written, or the value a successful read returned. */
  value: string | null;
  req: string | null;
  invokeAt: number;
  doneAt: number | null;
  outcome: OpOutcome;
  /** A hit served from the client's own copy. */
  local: boolean;
  error: string | null;
}
