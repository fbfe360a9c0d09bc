// What actually travels: frames and the close notice share one small envelope, so a receiver
// can tell a peer's orderly close from garbage, on every kind of link.
import type { Decode, TransportEvent } from './transport.ts';

export type Wire = { ivy: 1; kind: 'frame'; body: unknown } | { ivy: 1; kind: 'close' };

export function frameWire(body: unknown): Wire {
  return { ivy: 1, kind: 'frame', body };
}

export const CLOSE_WIRE: Wire = { ivy: 1, kind: 'close' };

/** Reads one received value; anything malformed becomes a `bad-frame` event, never a throw. */
export function openWire<F>(raw: unknown, decode: Decode<F>): TransportEvent<F> {
  if (typeof raw !== 'object' || raw === null) return { type: 'bad-frame', error: 'not an envelope' };
  const w = raw as Record<string, unknown>;
  if (w.ivy !== 1) return { type: 'bad-frame', error: 'not an envelope' };
  if (w.kind === 'close') return { type: 'close' };
  if (w.kind !== 'frame') return { type: 'bad-frame', error: `unknown envelope kind ${String(w.kind).slice(0, 40)}` };
  let decoded;
  try {
    decoded = decode(w.body);
  } catch (e) {
    // A decoder is not supposed to throw; if one does, the frame is still only bad input.
    return { type: 'bad-frame', error: `decoder threw: ${(e as Error).message}` };
  }
  return decoded.ok ? { type: 'frame', frame: decoded.frame } : { type: 'bad-frame', error: decoded.error };
}
