// The registry's IndexedDB schema: what the seed kept in data/cm.json and data/client.json.
// Later issues add stores by raising REGISTRY_VERSION and adding a step to the upgrade ladder.
import type { DBSchema } from 'idb';
import type { ClientDurable } from '../protocol/client.ts';
import type { NodeId } from '../protocol/ids.ts';
import type { CmDurable } from '../protocol/manager.ts';

export type CmRole = 'primary' | 'backup';

export interface CmRecord {
  role: CmRole;
  nodeId: NodeId;
  /** Where the node can be reached: for an in-page node, the tab that runs it. */
  address: string;
  registeredAt: number;
}

/** `started` until someone kills it; a closed tab cannot say, so the dashboard also shows what runs. */
export type ClientStatus = 'started' | 'killed';

export interface ClientRecord {
  /** The n of node id `c<n>`; the store's key, so the highest is one cursor step away. */
  id: number;
  nodeId: NodeId;
  address: string;
  status: ClientStatus;
  registeredAt: number;
}

/** What a node asked its host to keep across a crash (`ready().persist`), by node id. */
export interface DurableRecord<D> {
  nodeId: NodeId;
  durable: D;
  savedAt: number;
}

export interface RegistrySchema extends DBSchema {
  cms: { key: CmRole; value: CmRecord };
  clients: { key: number; value: ClientRecord };
  cmDurable: { key: NodeId; value: DurableRecord<CmDurable> };
  clientDurable: { key: NodeId; value: DurableRecord<ClientDurable> };
}

export const REGISTRY_DB_NAME = 'ivy-registry';
/** 1: cms, clients. 2: cmDurable, clientDurable (issue 4, restarts). */
export const REGISTRY_VERSION = 2;
