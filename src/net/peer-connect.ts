// A tab's presence on the PeerServer: one PeerJS Peer under a chosen id, and authenticated links
// to other peers. Every link names a channel ('protocol', 'control', ...) so one tab can carry
// protocol frames and remote control to the same peer on separate links, each with its own frame
// type and decoder. Peer ids are global on a PeerServer, which therefore refuses a second tab
// claiming a taken id: that is how two tabs are kept from being the same node.
import { Peer, type DataConnection, type PeerError } from 'peerjs';
import { randomNonce } from './handshake.ts';
import { LinkRefusedError, PeerJsTransport } from './peerjs.ts';
import type { Decode } from './transport.ts';

export interface PeerServerAddress {
  host: string;
  port: number;
  /** Where the PeerServer is mounted, e.g. `/peerjs`. */
  path: string;
  secure: boolean;
  /** The PeerServer's API key (not the cluster key: the PeerServer never sees that). */
  key: string;
}

export interface ClusterPeerOptions {
  id: string;
  server: PeerServerAddress;
  /** Empty means host candidates only: enough on one machine or one LAN, and nothing leaves it. */
  iceServers: RTCIceServer[];
  clusterKey: string;
  openTimeoutMs?: number;
  handshakeTimeoutMs?: number;
  log?: (line: string) => void;
}

export class PeerIdTakenError extends Error {
  override name = 'PeerIdTakenError';
}

export class PeerServerError extends Error {
  override name = 'PeerServerError';
}

export { LinkRefusedError };

export const CHANNEL_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** What PeerJS itself accepts as an id. */
export const PEER_ID_PATTERN = /^[A-Za-z0-9](?:[ _A-Za-z0-9-]{0,62}[A-Za-z0-9])?$/;
/** PeerJS errors that mean no PeerServer answered at all. */
const UNREACHABLE = new Set(['network', 'socket-error', 'socket-closed']);
const OPEN_TIMEOUT_MS = 10_000;
const CONNECT_TIMEOUT_MS = 10_000;

/** The PeerServer id of a node: prefixed, so several clusters can share one PeerServer. */
export function peerIdFor(prefix: string, nodeId: string): string {
  return `${prefix}-${nodeId}`;
}

type Acceptor = (connection: DataConnection) => void;

export class ClusterPeer {
  private readonly acceptors = new Map<string, Acceptor>();
  private readonly pendingConnects = new Map<string, Set<(e: Error) => void>>();
  private readonly errorListeners = new Set<(e: PeerError<string>) => void>();
  private readonly log: (line: string) => void;

  private constructor(
    private readonly peer: Peer,
    private readonly options: ClusterPeerOptions,
  ) {
    this.log = options.log ?? ((line) => console.warn(line));
    peer.on('connection', (c) => this.onIncoming(c));
    peer.on('error', (e) => this.onPeerError(e));
  }

  /** Registers `id` on the PeerServer. Rejects with PeerIdTakenError when another peer holds it. */
  static open(options: ClusterPeerOptions): Promise<ClusterPeer> {
    if (!PEER_ID_PATTERN.test(options.id)) return Promise.reject(new RangeError(`bad peer id ${JSON.stringify(options.id)}`));
    const { host, port, path, secure, key } = options.server;
    const peer = new Peer(options.id, { host, port, path, secure, key, debug: 0, config: { iceServers: options.iceServers } });
    return new Promise<ClusterPeer>((resolve, reject) => {
      const fail = (e: Error): void => {
        clearTimeout(timer);
        peer.destroy();
        reject(e);
      };
      const timer = setTimeout(
        () =>
          fail(
            new PeerServerError(
              `no answer from the PeerServer at ${host}:${port}${path} within ${options.openTimeoutMs ?? OPEN_TIMEOUT_MS} ms`,
            ),
          ),
        options.openTimeoutMs ?? OPEN_TIMEOUT_MS,
      );
      const onError = (e: PeerError<string>): void => {
        if (e.type === 'unavailable-id')
          fail(new PeerIdTakenError(`peer id ${options.id} is already taken on the PeerServer (another tab is this node)`));
        else if (UNREACHABLE.has(e.type))
          fail(new PeerServerError(`the PeerServer at ${host}:${port}${path} is unreachable (${e.type}: ${e.message})`));
        else fail(new PeerServerError(`PeerServer at ${host}:${port}${path}: ${e.type}: ${e.message}`));
      };
      peer.once('error', onError);
      peer.once('open', () => {
        clearTimeout(timer);
        peer.off('error', onError);
        resolve(new ClusterPeer(peer, options));
      });
    });
  }

  get id(): string {
    return this.options.id;
  }

  /** False once the PeerServer connection is lost; links already open keep working. */
  get online(): boolean {
    return !this.peer.disconnected && !this.peer.destroyed;
  }

  /** Opens an authenticated link to `remoteId` on `channel`. */
  connect<F>(remoteId: string, channel: string, decode: Decode<F>, timeoutMs = CONNECT_TIMEOUT_MS): Promise<PeerJsTransport<F>> {
    if (!CHANNEL_PATTERN.test(channel)) return Promise.reject(new RangeError(`bad channel name ${JSON.stringify(channel)}`));
    if (!PEER_ID_PATTERN.test(remoteId)) return Promise.reject(new RangeError(`bad peer id ${JSON.stringify(remoteId)}`));
    if (this.peer.destroyed) return Promise.reject(new PeerServerError('this peer is destroyed'));
    const connection = this.peer.connect(remoteId, { reliable: true, serialization: 'raw', metadata: { channel } });
    const link = this.link(connection, channel, decode);
    return new Promise<PeerJsTransport<F>>((resolve, reject) => {
      const waiting = this.pendingConnects.get(remoteId) ?? new Set();
      this.pendingConnects.set(remoteId, waiting);
      const done = (): void => {
        clearTimeout(timer);
        waiting.delete(fail);
        if (waiting.size === 0) this.pendingConnects.delete(remoteId);
      };
      const fail = (e: Error): void => {
        done();
        link.close();
        reject(e);
      };
      const timer = setTimeout(() => fail(new LinkRefusedError(`no link to ${remoteId} (${channel}) within ${timeoutMs} ms`)), timeoutMs);
      waiting.add(fail);
      link.ready.then(() => {
        done();
        resolve(link);
      }, fail);
    });
  }

  /**
   * Hands every authenticated incoming link on `channel` to `onLink`; links for channels nobody
   * accepts are closed. Returns a function that stops accepting.
   */
  accept<F>(channel: string, decode: Decode<F>, onLink: (link: PeerJsTransport<F>) => void): () => void {
    if (!CHANNEL_PATTERN.test(channel)) throw new RangeError(`bad channel name ${JSON.stringify(channel)}`);
    if (this.acceptors.has(channel)) throw new Error(`channel ${channel} already has an acceptor`);
    const acceptor: Acceptor = (connection) => {
      const link = this.link(connection, channel, decode);
      link.ready.then(
        () => onLink(link),
        () => {},
      );
    };
    this.acceptors.set(channel, acceptor);
    return () => {
      if (this.acceptors.get(channel) === acceptor) this.acceptors.delete(channel);
    };
  }

  /** PeerJS errors after open (lost PeerServer, WebRTC failures). */
  onError(listener: (e: PeerError<string>) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  /** After the PeerServer connection was lost (`online` false), claims the same id again. */
  reconnect(): void {
    if (this.peer.disconnected && !this.peer.destroyed) this.peer.reconnect();
  }

  /** Closes every link and gives the id back to the PeerServer. */
  destroy(): void {
    this.acceptors.clear();
    this.peer.destroy();
  }

  private link<F>(connection: DataConnection, channel: string, decode: Decode<F>): PeerJsTransport<F> {
    return new PeerJsTransport(connection, decode, {
      handshake: { clusterKey: this.options.clusterKey, localId: this.id, remoteId: connection.peer, channel, nonce: randomNonce() },
      handshakeTimeoutMs: this.options.handshakeTimeoutMs ?? 5_000,
      log: this.log,
    });
  }

  private onIncoming(connection: DataConnection): void {
    const meta: unknown = connection.metadata;
    const channel = typeof meta === 'object' && meta !== null ? (meta as { channel?: unknown }).channel : undefined;
    const acceptor = typeof channel === 'string' && CHANNEL_PATTERN.test(channel) ? this.acceptors.get(channel) : undefined;
    const why = !acceptor
      ? `it asked for channel ${JSON.stringify(channel).slice(0, 40)}, which this tab does not serve (yet): the asker tries the others`
      : !connection.reliable
        ? 'unreliable connection'
        : connection.serialization !== 'raw'
          ? `serialization ${connection.serialization}`
          : null;
    if (why !== null || !acceptor) {
      this.log(`${this.id}: refused a connection from ${connection.peer}: ${why}`);
      connection.close();
      return;
    }
    acceptor(connection);
  }

  private onPeerError(e: PeerError<string>): void {
    if (e.type === 'peer-unavailable') {
      const remote = /Could not connect to peer (.+)$/.exec(e.message)?.[1];
      for (const fail of [...(remote ? (this.pendingConnects.get(remote) ?? []) : [])]) {
        fail(new LinkRefusedError(`peer ${remote} is not on the PeerServer`));
      }
    }
    for (const l of [...this.errorListeners]) l(e);
  }
}
