// A worker that runs several nodes (packed placement). Each node gets the same api a worker of
// its own would expose, on a MessagePort of its own, so the page drives it through the same
// NodeHandle; the nodes of one pack are neighbours (neighbours.ts) and link in memory.
// Releasing a node is what terminating its worker would be: its host stops (timers cancelled,
// links closed, nothing more committed), its api and everything it held are dropped, and its
// port closes; what it committed to its store (the OPFS log, or IndexedDB as the fallback) stays.
import * as Comlink from 'comlink';
import { isCount } from '../util/checks.ts';
import { PAGE_SIZE_BYTES } from '../host/make-node.ts';
import { decoderFor } from '../net/message-codec.ts';
import type { Message } from '../protocol/messages.ts';
import { Neighbours } from './neighbours.ts';
import type { NodeWorkerApi, ThreadContext } from './worker-api.ts';
import { ThreadStorage } from './storage.ts';

export interface PackApi {
  /** Runs a new node behind `port`; `slot` names it for release(). */
  adopt(slot: number, port: MessagePort): void;
  /** Ends the node in `slot`, as terminating its worker would. Unknown slots are ignored. */
  release(slot: number): void;
}

/** Makes one node's api in the pack: its neighbours and its storage are the pack's (one log for all). */
export type MakeApi = (thread: ThreadContext & { neighbours: Neighbours<Message> }) => NodeWorkerApi;

export function createPack(makeApi: MakeApi, storage: ThreadStorage = new ThreadStorage()): PackApi {
  const neighbours = new Neighbours<Message>(decoderFor('own', PAGE_SIZE_BYTES));
  const slots = new Map<number, { api: NodeWorkerApi; port: MessagePort }>();
  const checkSlot = (slot: unknown): number => {
    if (!isCount(slot)) throw new Error(`bad slot ${JSON.stringify(slot)}`);
    return slot;
  };
  return {
    adopt(slot, port) {
      if (slots.has(checkSlot(slot))) throw new Error(`slot ${slot} is taken`);
      if (!(port instanceof MessagePort)) throw new Error('adopt needs a MessagePort');
      const api = makeApi({ neighbours, storage });
      Comlink.expose(api, port);
      slots.set(slot, { api, port });
    },
    release(slot) {
      const taken = slots.get(checkSlot(slot));
      if (!taken) return;
      slots.delete(slot);
      // The port stays open until the node has let go: its stop stores what it must keep first.
      void taken.api
        .stop()
        .catch(() => {})
        .finally(() => taken.port.close());
    },
  };
}
