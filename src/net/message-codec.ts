// Protocol messages as transport frames: every frame from another worker or tab goes through
// the core's validator, so a malformed one becomes a reported bad frame and never reaches a node.
import type { Message } from '../protocol/messages.ts';
import { parseMessage } from '../protocol/validate.ts';
import type { Decode } from './transport.ts';

export function messageDecoder(pageSizeBytes: number): Decode<Message> {
  return (raw) => {
    const parsed = parseMessage(raw, pageSizeBytes);
    return parsed.ok ? { ok: true, frame: parsed.message } : { ok: false, error: parsed.error };
  };
}
