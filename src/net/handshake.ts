// The cluster key handshake that opens every PeerJS link, before any protocol frame may pass.
// The key itself never crosses the wire: each side sends a fresh nonce, then proves it holds the
// key with an HMAC over both nonces, both peer ids and the channel name. A listener who is not in
// the cluster learns nothing it can replay, and a proof made for one link or direction is
// useless on another.
//
//   A -> B  hello {nonce a}                          B -> A  hello {nonce b}
//   A -> B  proof {nonce a, HMAC(key, ch|A|B|b|a)}    B -> A  proof {nonce b, HMAC(key, ch|B|A|a|b)}
//
// Each side sends its hello when the channel opens and its proof when the peer's hello arrives;
// it accepts the link when the peer's proof checks out. The channel is ordered, so a side's
// proof always precedes its first frame. A proof repeats its sender's nonce because Chromium
// sometimes loses the first message the answering side sends on a fresh data channel (seen
// between browsers, about one link in 30): a peer whose hello never came is known by its proof,
// and gets ours in answer.
import { constantTimeEqual, hmacSha256, toHex } from './sha256.ts';

export interface HandshakeSpec {
  clusterKey: string;
  localId: string;
  remoteId: string;
  /** What the link is for ('protocol', 'control', ...); part of the proof. */
  channel: string;
  /** 32 hex digits, fresh for this link (crypto.getRandomValues). */
  nonce: string;
}

export type HandshakeMessage = { step: 'hello'; nonce: string } | { step: 'proof'; nonce: string; mac: string };

export type HandshakeResult =
  | { state: 'pending'; reply: HandshakeMessage | null }
  | { state: 'accepted'; reply: HandshakeMessage | null }
  | { state: 'refused'; reason: string };

const NONCE = /^[0-9a-f]{32}$/;
const MAC = /^[0-9a-f]{64}$/;
const encoder = new TextEncoder();

export function handshakeMac(key: string, channel: string, prover: string, verifier: string,
  verifierNonce: string, proverNonce: string): string {
  const text = ['ivy-web handshake v1', channel, prover, verifier, verifierNonce, proverNonce].join('\n');
  return toHex(hmacSha256(encoder.encode(key), encoder.encode(text)));
}

export function randomNonce(): string {
  return toHex(crypto.getRandomValues(new Uint8Array(16)));
}

/** Reads a handshake message from its JSON text; null when it is not one. */
export function parseHandshake(json: string): HandshakeMessage | null {
  let v: unknown;
  try {
    v = JSON.parse(json);
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null) return null;
  const o = v as Record<string, unknown>;
  if (o.step === 'hello' && typeof o.nonce === 'string' && NONCE.test(o.nonce)) return { step: 'hello', nonce: o.nonce };
  if (o.step === 'proof' && typeof o.nonce === 'string' && NONCE.test(o.nonce) && typeof o.mac === 'string' && MAC.test(o.mac)) {
    return { step: 'proof', nonce: o.nonce, mac: o.mac };
  }
  return null;
}

export class Handshake {
  private peerNonce: string | null = null;
  private done: 'accepted' | 'refused' | null = null;

  constructor(private readonly spec: HandshakeSpec) {
    if (!NONCE.test(spec.nonce)) throw new RangeError('a handshake nonce is 32 hex digits');
    if (spec.clusterKey.length === 0) throw new RangeError('the cluster key must not be empty');
  }

  get outcome(): 'accepted' | 'refused' | null {
    return this.done;
  }

  hello(): HandshakeMessage {
    return { step: 'hello', nonce: this.spec.nonce };
  }

  /** Takes the peer's next handshake message (null: it was not one) and says what follows. */
  receive(message: HandshakeMessage | null): HandshakeResult {
    if (this.done !== null) return this.refuse('handshake message after the handshake ended');
    if (message === null) return this.refuse('malformed handshake message');
    if (message.step === 'hello') {
      if (this.peerNonce !== null) return this.refuse('second hello');
      if (message.nonce === this.spec.nonce) return this.refuse('peer echoed our nonce');
      this.peerNonce = message.nonce;
      return { state: 'pending', reply: this.proof(message.nonce) };
    }
    // The peer's hello was lost on the way: its proof names its nonce, and has not had ours yet.
    if (message.nonce === this.spec.nonce) return this.refuse('peer echoed our nonce');
    const helloLost = this.peerNonce === null;
    if (!helloLost && message.nonce !== this.peerNonce) return this.refuse('proof for another nonce than the hello');
    this.peerNonce = message.nonce;
    const { clusterKey, channel, localId, remoteId, nonce } = this.spec;
    const expected = handshakeMac(clusterKey, channel, remoteId, localId, nonce, message.nonce);
    if (!constantTimeEqual(expected, message.mac)) return this.refuse('wrong cluster key');
    this.done = 'accepted';
    return { state: 'accepted', reply: helloLost ? this.proof(message.nonce) : null };
  }

  /** Proves to the peer, whose nonce is given, that this side holds the key. */
  private proof(peerNonce: string): HandshakeMessage {
    const { clusterKey, channel, localId, remoteId, nonce } = this.spec;
    return { step: 'proof', nonce, mac: handshakeMac(clusterKey, channel, localId, remoteId, peerNonce, nonce) };
  }

  private refuse(reason: string): HandshakeResult {
    this.done = 'refused';
    return { state: 'refused', reason };
  }
}
