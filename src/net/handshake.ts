// The cluster key handshake that opens every PeerJS link, before any protocol frame may pass.
// The key itself never crosses the wire: each side sends a fresh nonce, then proves it holds the
// key with an HMAC-SHA-256 over both nonces, both peer ids, the channel name and both ends' DTLS
// certificate fingerprints. A listener who is not in the cluster learns nothing it can replay, a
// proof made for one link or direction is useless on another, and a relay that rewrote the
// session descriptions to terminate DTLS itself (at the signalling server, say) cannot pass the
// proofs through: each end signs the certificates it sees, and the two ends see different ones.
//
//   A -> B  hello {nonce a}          B -> A  hello {nonce b}
//   A -> B  proof {a, HMAC(key, ch|A|B|fpA|fpB|b|a)}     B -> A  proof {b, HMAC(key, ch|B|A|fpB|fpA|a|b)}
//
// Each side sends its hello when the channel opens and its proof when the peer's hello arrives;
// it accepts the link when the peer's proof checks out. The channel is ordered, so a side's
// proof always precedes its first frame. A proof repeats its sender's nonce because Chromium
// sometimes loses the first message the answering side sends on a fresh data channel (seen
// between browsers, about one link in 30): a peer whose hello never came is known by its proof,
// and gets ours in answer. docs/security.md says what this does and does not cover.
import { hmac } from '@noble/hashes/hmac.js';
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils.js';
import type { LinkFingerprints } from './dtls-fingerprint.ts';
import { randomHex } from '../util/random-hex.ts';

/** What a link knows before its channel opens. */
export interface LinkSpec {
  clusterKey: string;
  localId: string;
  remoteId: string;
  /** What the link is for ('protocol', 'control', ...); part of the proof. */
  channel: string;
  /** 32 hex digits, fresh for this link (crypto.getRandomValues). */
  nonce: string;
}

/** A link's spec with the DTLS fingerprints its session descriptions name (dtls-fingerprint.ts). */
export type HandshakeSpec = LinkSpec & { fingerprints: LinkFingerprints };

export type HandshakeMessage = { step: 'hello'; nonce: string } | { step: 'proof'; nonce: string; mac: string };

export type HandshakeResult =
  | { state: 'pending'; reply: HandshakeMessage | null }
  | { state: 'accepted'; reply: HandshakeMessage | null }
  | { state: 'refused'; reason: string };

const NONCE = /^[0-9a-f]{32}$/;
const MAC = /^[0-9a-f]{64}$/;

/** What one side proves: `prover` to `verifier`, over their certificates and nonces. */
export interface Proof {
  channel: string;
  prover: { id: string; fingerprint: string; nonce: string };
  verifier: { id: string; fingerprint: string; nonce: string };
}

export function handshakeMac(key: string, p: Proof): string {
  const text = [
    'ivy-web handshake v2',
    p.channel,
    p.prover.id,
    p.verifier.id,
    p.prover.fingerprint,
    p.verifier.fingerprint,
    p.verifier.nonce,
    p.prover.nonce,
  ].join('\n');
  return bytesToHex(hmac(sha256, utf8ToBytes(key), utf8ToBytes(text)));
}

export function randomNonce(): string {
  return randomHex(16);
}

/** Compares two strings in time that depends only on their lengths, for secrets. */
export function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

/** Throws on a spec no handshake can run with: a programming error, not a peer's. */
export function checkLinkSpec(spec: LinkSpec): void {
  if (!NONCE.test(spec.nonce)) throw new RangeError('a handshake nonce is 32 hex digits');
  if (spec.clusterKey.length === 0) throw new RangeError('the cluster key must not be empty');
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
    checkLinkSpec(spec);
    if (spec.fingerprints.local === '' || spec.fingerprints.remote === '') throw new RangeError('a link needs both DTLS fingerprints');
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
      return { state: 'pending', reply: this.ownProof(message.nonce) };
    }
    // The peer's hello was lost on the way: its proof names its nonce, and it has not had ours yet.
    if (message.nonce === this.spec.nonce) return this.refuse('peer echoed our nonce');
    const helloLost = this.peerNonce === null;
    if (!helloLost && message.nonce !== this.peerNonce) return this.refuse('proof for another nonce than the hello');
    this.peerNonce = message.nonce;
    const expected = handshakeMac(this.spec.clusterKey, this.proof('remote', message.nonce));
    // A relay in the middle shows up here too: the peer signed the certificates it saw.
    if (!constantTimeEqual(expected, message.mac)) return this.refuse('wrong cluster key, or not a direct link');
    this.done = 'accepted';
    return { state: 'accepted', reply: helloLost ? this.ownProof(message.nonce) : null };
  }

  /** Proves to the peer, whose nonce is given, that this side holds the key. */
  private ownProof(peerNonce: string): HandshakeMessage {
    return { step: 'proof', nonce: this.spec.nonce, mac: handshakeMac(this.spec.clusterKey, this.proof('local', peerNonce)) };
  }

  /** The proof `by` this side or the remote one makes, given the peer's nonce. */
  private proof(by: 'local' | 'remote', peerNonce: string): Proof {
    const { channel, localId, remoteId, nonce, fingerprints } = this.spec;
    const here = { id: localId, fingerprint: fingerprints.local, nonce };
    const there = { id: remoteId, fingerprint: fingerprints.remote, nonce: peerNonce };
    return by === 'local' ? { channel, prover: here, verifier: there } : { channel, prover: there, verifier: here };
  }

  private refuse(reason: string): HandshakeResult {
    this.done = 'refused';
    return { state: 'refused', reason };
  }
}
