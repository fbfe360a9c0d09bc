// The registry's IndexedDB schema: what the seed kept in data/cm.json and data/client.json.
// Later issues add stores by raising REGISTRY_VERSION and adding a step to the upgrade ladder.
import type { DBSchema } from 'idb';
import type { NodeId } from '../protocol/ids.ts';

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

export interface RegistrySchema extends DBSchema {
  cms: { key: CmRole; value: CmRecord };
  clients: { key: number; value: ClientRecord };
}

export const REGISTRY_DB_NAME = 'ivy-registry';
/**
 * 1: cms, clients. 2: cmDurable, clientDurable (issue 4, restarts). 3: those two stores gone;
 * each node's durable state has a database of its own (node-store.ts).
 */
export const REGISTRY_VERSION = 3;
