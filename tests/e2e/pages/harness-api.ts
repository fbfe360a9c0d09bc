// What peer-harness.ts puts on `window.harness` for tests/e2e/peerjs-transport.spec.ts.

export interface CaseResult {
  name: string;
  ok: boolean;
  error?: string;
}

export interface RttStats {
  rounds: number;
  medianMs: number;
  p90Ms: number;
  meanMs: number;
}

export interface HarnessApi {
  /** The shared transport contract (tests/support/transport-cases.ts) over fresh PeerJS links. */
  contract(): Promise<CaseResult[]>;
  /** n frames each way at once; true when both sides saw them all, in order. */
  ordering(n: number): Promise<{ inOrderAtA: boolean; inOrderAtB: boolean; count: number }>;
  /** A frame of `chars` characters each way, between small ones; true when all arrived intact. */
  bigFrame(chars: number): Promise<{ intact: boolean; order: number[] }>;
  /** Data-channel garbage straight onto the wire: reported as bad frames, link survives. */
  garbledWire(): Promise<{ badFrames: string[]; delivered: number[]; open: boolean }>;
  /** A peer holding another cluster key tries to link up. */
  wrongKey(): Promise<{ connectError: string; refusalLogged: boolean; accepted: number }>;
  /** A bare PeerJS peer skips the handshake and sends a frame at once. */
  noHandshake(): Promise<{ accepted: number; closed: boolean; refusalLogged: boolean }>;
  /**
   * The DTLS fingerprints each end of a fresh link signed in its handshake: each end's own
   * certificate should be what the other end's remote description names.
   */
  fingerprints(): Promise<{ a: { local: string; remote: string } | null; b: { local: string; remote: string } | null }>;
  /** A second peer asks for a taken id. */
  duplicateId(): Promise<{ errorName: string; message: string }>;
  /** Connecting to an id nobody holds fails instead of hanging. */
  unknownPeer(): Promise<{ errorName: string; ms: number }>;
  /** Comlink calls to the other peer over a control link, with a deadline. */
  comlink(): Promise<{ sum: number; thrown: string; refusedPath: boolean }>;
  /** Round trips between the page's two peers: one data channel, one browser. */
  rtt(rounds: number): Promise<RttStats>;
  /** From now on, echoes every frame on every link another page opens to peer b; returns b's id. */
  echo(): Promise<string>;
  /** Round trips from peer a to another page's echoing peer (`echo()`), perhaps on another host. */
  rttTo(remoteId: string, rounds: number): Promise<RttStats>;
}
