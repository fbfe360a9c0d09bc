// The key handshake is bound to the DTLS channel it runs on: each end signs the certificate
// fingerprints its own session descriptions name. Two PeerJS transports run here over stand-in
// DataConnections, either joined directly or through a relay that terminates DTLS on each side
// with its own certificate (what a signalling server that rewrites descriptions could do) and
// forwards every message verbatim. The stand-ins deliver on microtasks, so a test lets an exchange
// run with settle() rather than waiting any length of time. The real WebRTC links run in
// tests/e2e/peerjs-transport.spec.ts.
import type { DataConnection } from 'peerjs';
import { describe, expect, it } from 'vitest';
import { linkFingerprints, sdpFingerprint } from '../../src/net/dtls-fingerprint.ts';
import { randomNonce } from '../../src/net/handshake.ts';
import { PeerJsTransport } from '../../src/net/peerjs.ts';
import { decodeTestFrame, frames, record, type TestFrame } from '../support/transport-cases.ts';
import { settle } from '../support/manual-env.ts';

const FP = {
  a: 'sha-256 A1:B2:C3:D4',
  b: 'sha-256 0F:1E:2D:3C',
  relayToA: 'sha-256 99:88:77:66',
  relayToB: 'sha-256 55:44:33:22',
};

/** A session description as Chromium writes one, with the given `a=fingerprint` lines. */
const sdp = (...fingerprints: string[]): string =>
  [
    'v=0',
    'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 0.0.0.0',
    'a=ice-ufrag:abcd',
    ...fingerprints.map((f) => `a=fingerprint:${f}`),
    'a=setup:actpass',
    'a=mid:0',
    'a=sctp-port:5000',
    '',
  ].join('\r\n');

/** What PeerJsTransport reads of an RTCPeerConnection: its descriptions, and when they change. */
class DescribedConnection extends EventTarget {
  localDescription: { sdp: string } | null;
  remoteDescription: { sdp: string } | null;

  constructor(local: string, remote: string) {
    super();
    this.localDescription = { sdp: local };
    this.remoteDescription = { sdp: remote };
  }

  /** Applies a remote description, as setRemoteDescription does when it completes. */
  applyRemote(sdp: string): void {
    this.remoteDescription = { sdp };
    this.dispatchEvent(new Event('signalingstatechange'));
  }
}

/** Just what PeerJsTransport uses of a DataConnection; `deliver` is where its sends go. */
class StandIn {
  readonly reliable = true;
  readonly serialization = 'raw';
  open = false;
  deliver: (data: unknown) => void = () => {};
  /** The other end, which hears a close after what was sent before it, as on an ordered channel. */
  other: StandIn | null = null;
  readonly peerConnection: DescribedConnection;
  private readonly handlers = new Map<string, Set<(x?: unknown) => void>>();

  constructor(
    readonly peer: string,
    local: string,
    remote: string,
  ) {
    this.peerConnection = new DescribedConnection(sdp(local), sdp(remote));
  }

  on(event: string, h: (x?: unknown) => void): void {
    const set = this.handlers.get(event) ?? new Set();
    set.add(h);
    this.handlers.set(event, set);
  }

  off(event: string, h: (x?: unknown) => void): void {
    this.handlers.get(event)?.delete(h);
  }

  emit(event: string, x?: unknown): void {
    for (const h of [...(this.handlers.get(event) ?? [])]) h(x);
  }

  send(data: unknown): void {
    queueMicrotask(() => this.deliver(data));
  }

  close(): void {
    if (!this.open) return;
    this.open = false;
    this.emit('close');
    const other = this.other;
    if (other) queueMicrotask(() => other.close());
  }
}

function transport(conn: StandIn, localId: string, remoteId: string): PeerJsTransport<TestFrame> {
  return new PeerJsTransport(conn as unknown as DataConnection, decodeTestFrame, {
    handshake: { clusterKey: 'the-cluster-key', localId, remoteId, channel: 'protocol', nonce: randomNonce() },
    handshakeTimeoutMs: 2_000,
    log: () => {},
  });
}

/**
 * Two ends that each see the given certificates; whatever one sends reaches the other unchanged,
 * as it would directly or through a relay that forwards everything.
 */
function link(aSees: { local: string; remote: string }, bSees: { local: string; remote: string }, beforeOpen?: (ca: StandIn) => void) {
  const ca = new StandIn('ivy-b', aSees.local, aSees.remote);
  const cb = new StandIn('ivy-a', bSees.local, bSees.remote);
  beforeOpen?.(ca);
  ca.deliver = (d) => cb.emit('data', d);
  cb.deliver = (d) => ca.emit('data', d);
  [ca.other, cb.other] = [cb, ca];
  const a = transport(ca, 'ivy-a', 'ivy-b');
  const b = transport(cb, 'ivy-b', 'ivy-a');
  const atA = record(a);
  const atB = record(b);
  for (const c of [ca, cb]) {
    c.open = true;
    c.emit('open');
  }
  const outcome = (t: PeerJsTransport<TestFrame>): Promise<string> =>
    t.ready.then(
      () => 'accepted',
      (e: Error) => e.message,
    );
  return { a, b, ca, atA, atB, outcomes: Promise.all([outcome(a), outcome(b)]) };
}

describe('DTLS fingerprints from session descriptions', () => {
  it('reads every a=fingerprint line, normalised, deduplicated and sorted', () => {
    expect(sdpFingerprint(sdp('sha-256 ab:cd:ef'))).toBe('sha-256 AB:CD:EF');
    expect(sdpFingerprint(sdp('SHA-256 AB:CD', 'sha-1 01:02', 'sha-256 ab:cd'))).toBe('sha-1 01:02,sha-256 AB:CD');
  });

  it('finds none in a description without one, or with a malformed one', () => {
    expect(sdpFingerprint(sdp())).toBeNull();
    expect(sdpFingerprint(sdp('sha-256 not-hex'))).toBeNull();
    expect(sdpFingerprint('a=fingerprint:sha-256')).toBeNull();
  });

  it('says which description lacks them', () => {
    expect(linkFingerprints(undefined)).toEqual({ error: 'no peer connection' });
    const described = (local: string, remote: string) =>
      ({ localDescription: { sdp: local }, remoteDescription: { sdp: remote } }) as unknown as RTCPeerConnection;
    expect(linkFingerprints({ localDescription: { sdp: sdp(FP.a) }, remoteDescription: null } as unknown as RTCPeerConnection)).toEqual({
      error: 'the session descriptions are not applied yet',
    });
    expect(linkFingerprints(described(sdp(), sdp(FP.b)))).toEqual({ error: 'no DTLS fingerprint in the local session description' });
    expect(linkFingerprints(described(sdp(FP.a), sdp()))).toEqual({ error: 'no DTLS fingerprint in the remote session description' });
    expect(linkFingerprints(described(sdp(FP.a), sdp(FP.b)))).toEqual({ local: FP.a, remote: FP.b });
  });
});

describe('the key handshake bound to the DTLS channel', () => {
  it("accepts a direct link, where each end sees the other's certificate, and frames pass", async () => {
    const { a, b, atB, outcomes } = link({ local: FP.a, remote: FP.b }, { local: FP.b, remote: FP.a });
    expect(await outcomes).toEqual(['accepted', 'accepted']);
    expect(a.fingerprints).toEqual({ local: FP.a, remote: FP.b });
    a.send({ n: 1, text: 'through' });
    await settle();
    expect(frames(atB)).toEqual([{ n: 1, text: 'through' }]);
    a.close();
    b.close();
  });

  it("waits for a remote description applied after the channel opened (and the peer's hello came)", async () => {
    const { a, b, ca, atB, outcomes } = link({ local: FP.a, remote: FP.b }, { local: FP.b, remote: FP.a }, (c) => {
      c.peerConnection.remoteDescription = null;
    });
    a.send({ n: 1, text: 'held' });
    // b's hello reaches a, which cannot answer it yet; nothing a sent has left.
    await settle();
    expect([a.fingerprints, b.fingerprints?.local]).toEqual([null, FP.b]);
    expect(frames(atB)).toEqual([]);
    ca.peerConnection.applyRemote(sdp(FP.b));
    expect(await outcomes).toEqual(['accepted', 'accepted']);
    await settle();
    expect(frames(atB)).toEqual([{ n: 1, text: 'held' }]);
    a.close();
    b.close();
  });

  it('refuses both ends of a relay holding its own certificate per side, and nothing sent leaks through', async () => {
    const { a, b, atA, atB, outcomes } = link({ local: FP.a, remote: FP.relayToA }, { local: FP.b, remote: FP.relayToB });
    a.send({ n: 1, text: 'held until the peer is proved' });
    const refused = 'refused: wrong cluster key, or not a direct link';
    expect(await outcomes).toEqual([`link to ivy-b ${refused}`, `link to ivy-a ${refused}`]);
    expect([a.closed, b.closed]).toEqual([true, true]);
    expect([frames(atA), frames(atB)]).toEqual([[], []]);
  });

  it('refuses a relay that shows both ends one and the same certificate', async () => {
    const { outcomes } = link({ local: FP.a, remote: FP.relayToA }, { local: FP.b, remote: FP.relayToA });
    expect((await outcomes).every((o) => o.endsWith('not a direct link'))).toBe(true);
  });

  it('refuses a link whose session description names no certificate', async () => {
    const { outcomes } = link({ local: FP.a, remote: FP.b }, { local: FP.b, remote: '' });
    expect(await outcomes).toEqual([
      'link to ivy-b closed during the handshake',
      'link to ivy-a refused: no DTLS fingerprint in the remote session description',
    ]);
  });
});
