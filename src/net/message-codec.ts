// Protocol messages as transport frames. Whoever makes a link says where its frames come from:
// a channel the page made between its own workers carries only what this code's own nodes sent
// (structured clone already copied it), so it is trusted as it comes; every other link (PeerJS,
// another tab, anything a person hands in) goes through the core's validator, so a malformed
// frame becomes a reported bad frame and never reaches a node.
import type { Message } from '../protocol/messages.ts';
import { parseMessage } from '../protocol/validate.ts';
import type { Decode } from './transport.ts';

/** `own`: made by this page between its own nodes. `outside`: anything else. */
export type LinkOrigin = 'own' | 'outside';

export function messageDecoder(pageSizeBytes: number): Decode<Message> {
  return (raw) => {
    const parsed = parseMessage(raw, pageSizeBytes);
    return parsed.ok ? { ok: true, frame: parsed.message } : { ok: false, error: parsed.error };
  };
}

const ownFrame: Decode<Message> = (raw) => ({ ok: true, frame: raw as Message });

export function decoderFor(origin: LinkOrigin, pageSizeBytes: number): Decode<Message> {
  return origin === 'own' ? ownFrame : messageDecoder(pageSizeBytes);
}
