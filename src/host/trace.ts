// What a host reports about the protocol as data, for the dashboard's message view, step mode
// and recorded runs. Times are on one clock shared by every worker of the page (the page's
// time origin plus its monotonic clock), so a send and its receipt can be drawn on one axis.
import { isRecord } from '../util/checks.ts';
import type { NodeId } from '../protocol/ids.ts';
import { isPageMessage, messageCode, type Message, type MessageType } from '../protocol/messages.ts';
import type { OpKind, OpResult } from '../protocol/node.ts';

/**
 * `sent` left the host; `lost` was sent into a partitioned link; `received` was handed to the
 * node; `dropped` was thrown away by hand in step mode.
 */
export type TraceFate = 'sent' | 'lost' | 'received' | 'dropped';

export interface TracedMessage {
  at: number;
  fate: TraceFate;
  from: NodeId;
  to: NodeId;
  type: MessageType;
  /** Li & Hudak's code (RQ, RF, RD, ...) or ours for control messages (PU, CC, ...). */
  code: string;
  page: string | null;
  req: string | null;
  epoch: number;
  /** For `received` and `dropped`: when the frame came off the link (it may have waited since). */
  arrivedAt?: number;
}

export function traceOf(m: Message, fate: TraceFate, at: number, arrivedAt?: number): TracedMessage {
  const page = isPageMessage(m) ? m.page : null;
  const t: TracedMessage = {
    at,
    fate,
    from: m.from,
    to: m.to,
    type: m.type,
    code: messageCode(m),
    page,
    req: isPageMessage(m) ? m.req : null,
    epoch: m.epoch,
  };
  if (arrivedAt !== undefined) t.arrivedAt = arrivedAt;
  return t;
}

/** A frame waiting in the receiving host (step mode or added delay). */
export interface HeldFrame {
  id: number;
  message: TracedMessage;
  /** When it will be delivered by itself; null while it waits for a person. */
  dueAt: number | null;
}

/** How a host treats incoming frames; the same for every node of the page. */
export interface StepSettings {
  /** Frames wait until delivered or dropped by hand. */
  hold: boolean;
  /** Added delay before each incoming frame is delivered, when not held (0 to 2000 ms). */
  delayMs: number;
  /** While holding, the node's own timers (pulses, retries, deadlines) stand still too. */
  freezeTimers: boolean;
}

export const STEP_DELAY_MS_MAX = 2000;
export const NO_STEPPING: StepSettings = { hold: false, delayMs: 0, freezeTimers: true };

export function stepSettingsError(s: unknown): string | null {
  if (!isRecord(s)) return 'step settings must be an object';
  const { hold, delayMs, freezeTimers } = s;
  if (typeof hold !== 'boolean' || typeof freezeTimers !== 'boolean') return 'hold and freezeTimers must be booleans';
  if (typeof delayMs !== 'number' || !(delayMs >= 0 && delayMs <= STEP_DELAY_MS_MAX)) {
    return `delayMs must be in [0, ${STEP_DELAY_MS_MAX}]`;
  }
  return null;
}

/**
 * A user operation as a history records it: `invoke` when submitted, `req` once it faulted
 * and got a request id (hits never do), `done` with its outcome.
 */
export type OpTrace =
  | { phase: 'invoke'; opId: number; node: NodeId; kind: OpKind; page: string; value: string | null; at: number }
  | { phase: 'req'; opId: number; node: NodeId; req: string; at: number }
  | { phase: 'done'; opId: number; node: NodeId; kind: OpKind; page: string; result: OpResult; at: number };
