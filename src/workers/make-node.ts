// The one place that builds protocol nodes for the browser hosts. Everything else handles an
// IvyNode generically, so new roles or message kinds in the core need changes only here.
import { ClientNode, type ClientSnapshot, type OpRequest } from '../protocol/client.ts';
import { isCmId, PAGE_SIZE_BYTES_DEFAULT, type NodeId, clientNumber } from '../protocol/ids.ts';
import { CentralManager, type ManagerSnapshot } from '../protocol/manager.ts';
import type { IvyNode } from '../protocol/node.ts';

export type NodeRole = 'cm' | 'client';

export interface NodeSpec {
  role: NodeRole;
  id: NodeId;
}

/** What `print` shows: the CM's metadata table or a client's page store. */
export type NodeState =
  | { role: 'cm'; snapshot: ManagerSnapshot }
  | { role: 'client'; snapshot: ClientSnapshot };

export interface MadeNode {
  node: IvyNode;
  snapshot(): NodeState;
  /** Null for roles that take no user operations (a CM serves requests, it makes none). */
  submit: ((op: OpRequest, now: number) => number) | null;
}

export const PAGE_SIZE_BYTES = PAGE_SIZE_BYTES_DEFAULT;

/** Null when the spec names a valid node, else why not. Specs cross a worker boundary. */
export function nodeSpecError(spec: unknown): string | null {
  if (typeof spec !== 'object' || spec === null) return 'node spec must be an object';
  const { role, id } = spec as Record<string, unknown>;
  if (role !== 'cm' && role !== 'client') return `unknown node role ${JSON.stringify(role)}`;
  if (typeof id !== 'string') return 'node id must be a string';
  if (role === 'cm' && !isCmId(id)) return `a CM is cm1 or cm2, not ${JSON.stringify(id)}`;
  if (role === 'client' && clientNumber(id) === null) return `a client id is c<n>, not ${JSON.stringify(id)}`;
  return null;
}

export function makeNode(spec: NodeSpec): MadeNode {
  if (spec.role === 'cm') {
    const cm = new CentralManager({ id: spec.id });
    return { node: cm, snapshot: () => ({ role: 'cm', snapshot: cm.snapshot() }), submit: null };
  }
  const client = new ClientNode({ id: spec.id, pageSizeBytes: PAGE_SIZE_BYTES });
  return {
    node: client,
    snapshot: () => ({ role: 'client', snapshot: client.snapshot() }),
    submit: (op, now) => client.submit(op, now),
  };
}
