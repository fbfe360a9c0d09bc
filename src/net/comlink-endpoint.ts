// Comlink over any transport, so a page can drive a node living in another tab (over a PeerJS
// link) as it drives a worker. Comlink needs only an Endpoint: postMessage plus message
// listeners. A data channel cannot transfer MessagePorts, so Comlink.proxy (callbacks) and
// transferables do not cross: state subscriptions go over a plain frame stream instead, on a
// channel of their own.
//
// What arrives is checked like every other frame (decodeComlinkWire): only calls by method name
// and their answers pass; SET, CONSTRUCT, ENDPOINT, proxies and paths such as `__proto__` or
// `constructor` are dropped as bad frames, so a peer can call what a node exposes and nothing else.
import * as Comlink from 'comlink';
import { isRecord } from '../util/checks.ts';
import { PendingCalls } from '../util/deadline.ts';
import type { Decode, Transport, TransportEvent } from './transport.ts';

/** A Comlink wire message, checked as far as this adapter allows it. */
export type ComlinkWire = Record<string, unknown> & { type: string };

type Listener = EventListenerOrEventListenerObject;

const PATH_SEGMENT = /^[A-Za-z_$][A-Za-z0-9_$]{0,63}$/;
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'constructor', 'prototype']);
const PATH_LENGTH_MAX = 8;
const ARGUMENTS_MAX = 16;
const ID_PATTERN = /^[0-9a-f-]{1,80}$/;

function pathError(path: unknown): string | null {
  if (!Array.isArray(path) || path.length > PATH_LENGTH_MAX) return 'bad path';
  for (const s of path) {
    if (typeof s !== 'string' || !PATH_SEGMENT.test(s) || FORBIDDEN_SEGMENTS.has(s))
      return `path segment ${JSON.stringify(s)?.slice(0, 40)} refused`;
  }
  return null;
}

/** A value: plain data only, or an error thrown by the far side. */
function wireValueError(v: unknown): string | null {
  if (!isRecord(v)) return 'bad wire value';
  if (v.type === 'RAW') return null;
  if (v.type !== 'HANDLER' || v.name !== 'throw') return `wire value ${String(v.name ?? v.type).slice(0, 40)} refused`;
  const thrown = v.value;
  if (!isRecord(thrown) || typeof thrown.isError !== 'boolean') return 'bad thrown value';
  if (thrown.isError) {
    const e = thrown.value;
    if (!isRecord(e) || typeof e.message !== 'string') return 'bad thrown error';
    if (Object.keys(e).some((k) => !['message', 'name', 'stack'].includes(k) || typeof e[k] !== 'string')) return 'bad thrown error';
  }
  return null;
}

function comlinkWireError(raw: unknown): string | null {
  if (!isRecord(raw)) return 'not a Comlink message';
  if (raw.id !== undefined && (typeof raw.id !== 'string' || !ID_PATTERN.test(raw.id))) return 'bad message id';
  switch (raw.type) {
    case 'GET':
      return pathError(raw.path);
    case 'APPLY': {
      const args = raw.argumentList;
      if (!Array.isArray(args) || args.length > ARGUMENTS_MAX) return 'bad argument list';
      return pathError(raw.path) ?? args.map(wireValueError).find((e) => e !== null) ?? null;
    }
    case 'RELEASE':
      return null;
    case 'RAW':
    case 'HANDLER':
      return typeof raw.id === 'string' ? wireValueError(raw) : 'an answer without an id';
    default:
      return `Comlink message type ${String(raw.type).slice(0, 40)} refused`;
  }
}

export const decodeComlinkWire: Decode<ComlinkWire> = (raw) => {
  const error = comlinkWireError(raw);
  return error === null ? { ok: true, frame: raw as ComlinkWire } : { ok: false, error };
};

/** Makes a transport look like a Comlink Endpoint (one direction of calls, or both). */
export function transportEndpoint<F>(link: Transport<F>): Comlink.Endpoint {
  const listeners = new Map<Listener, (e: TransportEvent<F>) => void>();
  return {
    postMessage(message: unknown, transfer?: Transferable[]): void {
      if (transfer && transfer.length > 0) throw new TypeError('nothing can be transferred over a peer link (no Comlink.proxy)');
      link.send(message as F);
    },
    addEventListener(type: string, listener: Listener): void {
      if (type !== 'message' || listeners.has(listener)) return;
      const relay = (e: TransportEvent<F>): void => {
        if (e.type !== 'frame') return;
        const event = { data: e.frame } as MessageEvent;
        if (typeof listener === 'function') listener(event);
        else listener.handleEvent(event);
      };
      listeners.set(listener, relay);
      link.addListener(relay);
    },
    removeEventListener(type: string, listener: Listener): void {
      const relay = listeners.get(listener);
      if (type !== 'message' || !relay) return;
      listeners.delete(listener);
      link.removeListener(relay);
    },
  };
}

/** Serves `api` to whoever is at the other end of `link`. */
export function exposeOver(api: object, link: Transport<ComlinkWire>): void {
  Comlink.expose(api, transportEndpoint(link));
}

/**
 * The calling side: a Comlink proxy of the far side's api, whose calls all race a deadline and
 * fail at once when the link closes (a call to a closed tab would otherwise never settle).
 */
export class RemoteControl<T> {
  readonly remote: Comlink.Remote<T>;
  private readonly pending = new PendingCalls();
  private readonly onEvent = (e: TransportEvent<ComlinkWire>): void => {
    if (e.type === 'close') this.pending.failAll(`${this.name}: the link closed`);
  };

  constructor(
    private readonly link: Transport<ComlinkWire>,
    private readonly name: string,
  ) {
    this.remote = Comlink.wrap<T>(transportEndpoint(link));
    link.addListener(this.onEvent);
  }

  /** Runs one remote call, e.g. `control.call((r) => r.snapshot(), 2000, 'snapshot')`. */
  call<R>(fn: (remote: Comlink.Remote<T>) => Promise<R>, ms: number, what: string): Promise<R> {
    if (this.link.closed) return Promise.reject(new Error(`${this.name}: ${what}: the link is closed`));
    return this.pending.run(() => fn(this.remote), ms, `${this.name}: ${what}`);
  }

  dispose(): void {
    this.link.removeListener(this.onEvent);
    this.pending.failAll(`${this.name}: control disposed`);
  }
}
