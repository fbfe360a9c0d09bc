// A transport over one PeerJS DataConnection, between tabs or machines. The connection must be
// opened with `reliable: true` (PeerJS's default is unordered) and `serialization: 'raw'`: the
// framing in chunking.ts carries frames of any size, and garbage reaches us as a bad frame
// instead of throwing inside PeerJS. Nothing but handshake messages passes until the peer has
// proved it holds the cluster key on this very DTLS channel (handshake.ts, dtls-fingerprint.ts);
// a peer that fails is refused and the link shut.
import type { DataConnection } from 'peerjs';
import { EnvelopeTransport } from './base.ts';
import { encodeMessage, HANDSHAKE, MESSAGE_CHARS_MAX, MessageAssembler } from './chunking.ts';
import { linkFingerprints, type LinkFingerprints } from './dtls-fingerprint.ts';
import type { Wire } from './envelope.ts';
import { checkLinkSpec, Handshake, parseHandshake, type HandshakeMessage, type LinkSpec } from './handshake.ts';
import type { Decode } from './transport.ts';

export class LinkRefusedError extends Error {
  override name = 'LinkRefusedError';
}

export interface PeerJsTransportOptions {
  /** The handshake's terms; the DTLS fingerprints are read from the connection when it opens. */
  handshake: LinkSpec;
  /** The peer must finish the handshake within this time after the channel opens. */
  handshakeTimeoutMs?: number;
  /** Where refusals, bad sends and connection errors are told; console.warn by default. */
  log?: (line: string) => void;
}

const HANDSHAKE_TIMEOUT_MS = 5_000;
/** The peer's hello and proof may arrive before our remote description is applied; no more. */
const EARLY_MESSAGES_MAX = 2;
/** How long a closed link waits for queued data to leave before tearing the connection down. */
const DRAIN_MS_MAX = 2_000;
const DRAIN_POLL_MS = 20;

type State = 'handshaking' | 'open' | 'refused';

export class PeerJsTransport<F> extends EnvelopeTransport<F> {
  /** Settles when the peer has proved the cluster key; rejects with LinkRefusedError otherwise. */
  readonly ready: Promise<void>;
  private state: State = 'handshaking';
  /** Made once the channel is open and both session descriptions are applied. */
  private handshake: Handshake | null = null;
  private signed: LinkFingerprints | null = null;
  /** What the peer sent before the handshake could be made. */
  private readonly early: unknown[] = [];
  private readonly assembler = new MessageAssembler();
  private readonly held: string[] = [];
  private readonly log: (line: string) => void;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  private timer: ReturnType<typeof setTimeout> | null = null;
  private readonly onData = (data: unknown): void => this.onWire(data);
  private readonly onOpen = (): void => this.begin();
  private readonly onClose = (): void => this.onConnectionClosed();
  private readonly onError = (e: Error & { type?: string }): void => this.onConnectionError(e);
  private readonly onSignaling = (): void => this.startWhenDescribed();

  constructor(
    readonly connection: DataConnection,
    decode: Decode<F>,
    private readonly options: PeerJsTransportOptions,
  ) {
    super(decode);
    if (!connection.reliable) throw new RangeError('PeerJS links must be opened with reliable: true');
    if (connection.serialization !== 'raw') throw new RangeError("PeerJS links must be opened with serialization: 'raw'");
    this.log = options.log ?? ((line) => console.warn(line));
    checkLinkSpec(options.handshake);
    this.ready = new Promise<void>((resolve, reject) => {
      this.settle = { resolve, reject };
    });
    this.ready.catch(() => {}); // a refusal is also told through close; nobody has to await this
    connection.on('data', this.onData);
    connection.on('close', this.onClose);
    connection.on('error', this.onError);
    if (connection.open) this.begin();
    else connection.on('open', this.onOpen);
  }

  get remoteId(): string {
    return this.connection.peer;
  }

  /** The certificates the handshake signs; null until the channel opened. */
  get fingerprints(): Readonly<LinkFingerprints> | null {
    return this.signed;
  }

  /** Frames wait here until the peer is authenticated: nothing leaks to an impostor. */
  protected post(wire: Wire): void {
    let json: string;
    try {
      json = JSON.stringify(wire);
    } catch (e) {
      this.log(`link to ${this.remoteId}: frame dropped, not serialisable: ${(e as Error).message}`);
      return;
    }
    if (json.length > MESSAGE_CHARS_MAX) {
      this.log(`link to ${this.remoteId}: frame of ${json.length} chars dropped, over ${MESSAGE_CHARS_MAX}`);
      return;
    }
    for (const text of encodeMessage(json)) {
      if (this.state === 'open') this.sendText(text);
      else this.held.push(text);
    }
  }

  protected shutdown(): void {
    this.stopTimer();
    this.connection.off('data', this.onData);
    this.connection.off('open', this.onOpen);
    this.connection.off('close', this.onClose);
    this.connection.off('error', this.onError);
    this.connection.peerConnection?.removeEventListener('signalingstatechange', this.onSignaling);
    if (this.state === 'handshaking') this.fail(new LinkRefusedError(`link to ${this.remoteId} closed during the handshake`));
    drainThenClose(this.connection);
  }

  private begin(): void {
    this.timer = setTimeout(
      () => this.refuse('no handshake within the time allowed'),
      this.options.handshakeTimeoutMs ?? HANDSHAKE_TIMEOUT_MS,
    );
    const pc = this.connection.peerConnection;
    if (!pc) {
      this.refuse('no peer connection');
      return;
    }
    // The dialling side's channel can open a moment before the answer it got is applied as its
    // remote description; the handshake signs that description, so it waits for it.
    pc.addEventListener('signalingstatechange', this.onSignaling);
    this.startWhenDescribed();
  }

  private startWhenDescribed(): void {
    const pc = this.connection.peerConnection;
    if (this.handshake || this.state !== 'handshaking' || this.closed || !pc?.localDescription || !pc.remoteDescription) return;
    pc.removeEventListener('signalingstatechange', this.onSignaling);
    const fingerprints = linkFingerprints(pc);
    if ('error' in fingerprints) {
      this.refuse(fingerprints.error);
      return;
    }
    this.signed = fingerprints;
    this.handshake = new Handshake({ ...this.options.handshake, fingerprints });
    this.sendHandshake(this.handshake.hello());
    for (const data of this.early.splice(0)) this.onWire(data);
  }

  private onWire(data: unknown): void {
    if (this.closed) return;
    if (this.state === 'handshaking' && !this.handshake) {
      if (this.early.push(data) > EARLY_MESSAGES_MAX) this.refuse('too many messages before the session descriptions were applied');
      return;
    }
    if (this.state !== 'open') {
      const text = typeof data === 'string' && data.startsWith(HANDSHAKE) ? data.slice(1) : null;
      this.onHandshake(text === null ? null : parseHandshake(text));
      return;
    }
    for (const piece of this.assembler.push(data)) {
      if (piece.type === 'bad') {
        this.reportBadFrame(piece.error);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(piece.json);
      } catch {
        this.reportBadFrame('not JSON');
        continue;
      }
      this.receive(value);
    }
  }

  private onHandshake(message: HandshakeMessage | null): void {
    if (!this.handshake) return; // refused already
    const result = this.handshake.receive(message);
    if (result.state === 'refused') {
      this.refuse(result.reason);
      return;
    }
    if (result.reply) this.sendHandshake(result.reply);
    if (result.state === 'accepted') {
      this.stopTimer();
      this.state = 'open';
      for (const text of this.held.splice(0)) this.sendText(text);
      this.settle.resolve();
    }
  }

  private refuse(reason: string): void {
    if (this.state !== 'handshaking' || this.closed) return;
    this.log(`link to ${this.remoteId} (${this.options.handshake.channel}) refused: ${reason}`);
    this.state = 'refused';
    this.fail(new LinkRefusedError(`link to ${this.remoteId} refused: ${reason}`));
    this.peerGone();
  }

  private fail(e: Error): void {
    this.settle.reject(e);
  }

  private onConnectionClosed(): void {
    if (this.state === 'handshaking') this.fail(new LinkRefusedError(`link to ${this.remoteId} closed during the handshake`));
    this.peerGone();
  }

  private onConnectionError(e: Error & { type?: string }): void {
    this.log(`link to ${this.remoteId}: ${e.type ?? 'error'}: ${e.message}`);
    if (e.type === 'negotiation-failed' || e.type === 'connection-closed') this.onConnectionClosed();
  }

  private sendHandshake(message: HandshakeMessage): void {
    this.sendText(HANDSHAKE + JSON.stringify(message));
  }

  private sendText(text: string): void {
    if (this.connection.open) void this.connection.send(text);
  }

  private stopTimer(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }
}

/** Lets what is queued on the data channel leave before the peer connection is torn down. */
function drainThenClose(connection: DataConnection): void {
  const started = Date.now();
  const queued = (): number => (connection.dataChannel?.bufferedAmount ?? 0) + ((connection as { bufferSize?: number }).bufferSize ?? 0);
  const step = (): void => {
    if (!connection.open || queued() === 0 || Date.now() - started > DRAIN_MS_MAX) connection.close();
    else setTimeout(step, DRAIN_POLL_MS);
  };
  step();
}
