// The one place that builds protocol nodes, for the browser hosts and the simulator alike.
// Everything else handles an IvyNode generically, so new roles or message kinds in the core
// need changes only here.
import { ClientNode, type ClientSnapshot, type OpRequest } from '../protocol/client.ts';
import { clientDurableOf, cmDurableOf, type ClientDurable, type DurableEntry } from '../protocol/durable.ts';
import { clientDurableError, cmDurableError } from '../protocol/durable-checks.ts';
import { isDurability, isReplicas, type Durability, type Replicas } from '../protocol/config.ts';
import { clientNumber, isCmId, isNodeId, type NodeId } from '../protocol/ids.ts';
import { PAGE_SIZE_BYTES_DEFAULT } from '../protocol/limits.ts';
import { CentralManager, type CmDurable, type CmStart, type ManagerSnapshot } from '../protocol/manager.ts';
import type { IvyNode } from '../protocol/node.ts';
import { timing, timingError, type ReplicationMode, type Timing } from '../protocol/config.ts';
import { isCount, isRecord } from '../util/checks.ts';

export type NodeRole = 'cm' | 'client';

interface SpecBase {
  id: NodeId;
  /**
   * The store the node's durable state is kept in (named after the cluster's registry); absent:
   * nothing is kept. A host that keeps it reads the node's state from it before the node starts
   * (see durableFor).
   */
  store?: string;
  /** How far a commit goes before what depends on it leaves (disk/volume.ts); the default if absent. */
  durability?: Durability;
  /** Time limits other than the defaults (pulse interval, deadlines). */
  timing?: Partial<Timing>;
}

export type NodeSpec =
  | (SpecBase & {
      role: 'cm';
      /** Fresh primary or backup, or a reboot (restartCM / restartBackup); the id's fresh role if absent. */
      start?: CmStart;
      /** The clients registered so far: a CM that takes over asks each of them for a report. */
      members?: NodeId[];
      durable?: CmDurable;
      /** How the standby keeps up: `streaming` (default, safe) or the seed's `periodic` snapshots. */
      replication?: ReplicationMode;
      /** False for basic Ivy: there is no other CM to pulse or to tell of takeovers. */
      peerExists?: boolean;
    })
  | (SpecBase & {
      role: 'client';
      /** What this client id persisted before its crash: the pages it owned survive. */
      durable?: ClientDurable;
      /** A restart of a registered client: it comes back with what its store holds (a fresh one ignores it). */
      restart?: boolean;
      /** 1: its writes are acknowledged once the acting CM keeps a replica (config.ts Replicas). */
      replicas?: Replicas;
      /**
       * Where request numbering starts. A restart passes the wall clock: the durable state may
       * lag its last request (writes are asynchronous) or be missing, and a reused request id
       * would be answered with an earlier life's result.
       */
      seqStart?: number;
      /**
       * The CM that acts and its epoch, as the client learned when it joined. A client starts out
       * following cm1 at epoch 1; one that joins while the backup acts would follow a standby,
       * and an idle one (no request to retry with the other CM) would never find the acting CM.
       */
      follow?: { cm: NodeId; epoch: number };
    });

/** What `print` shows: the CM's metadata table or a client's page store. */
export type NodeState = { role: 'cm'; snapshot: ManagerSnapshot } | { role: 'client'; snapshot: ClientSnapshot };

export interface MadeNode {
  node: IvyNode;
  snapshot(): NodeState;
  /** Null for roles that take no user operations (a CM serves requests, it makes none). */
  submit: ((op: OpRequest, now: number) => number) | null;
  /** A CM's `forget <member>` (the operator's word that it is gone for good); null on clients. */
  forget: ((member: NodeId, now: number) => string) | null;
}

export const PAGE_SIZE_BYTES = PAGE_SIZE_BYTES_DEFAULT;
const CM_STARTS: readonly unknown[] = ['primary', 'backup', 'restartCM', 'restartBackup'] satisfies CmStart[];

/** Null when the spec names a valid node, else why not. Specs cross a worker boundary. */
export function nodeSpecError(spec: unknown): string | null {
  if (!isRecord(spec)) return 'node spec must be an object';
  const { role, id, start, members, durable, store, seqStart, replication, peerExists, timing: overrides } = spec;
  if (role !== 'cm' && role !== 'client') return `unknown node role ${JSON.stringify(role)}`;
  if (typeof id !== 'string') return 'node id must be a string';
  if (role === 'cm' && !isCmId(id)) return `a CM is cm1 or cm2, not ${JSON.stringify(id)}`;
  if (role === 'client' && clientNumber(id) === null) return `a client id is c<n>, not ${JSON.stringify(id)}`;
  if (start !== undefined && !CM_STARTS.includes(start)) return `unknown CM start ${JSON.stringify(start)}`;
  if (members !== undefined && !(Array.isArray(members) && members.every(isNodeId))) {
    return 'members must be a list of node ids';
  }
  if (durable !== undefined) {
    const error = role === 'cm' ? cmDurableError(durable) : clientDurableError(durable);
    if (error) return error;
  }
  if (store !== undefined && typeof store !== 'string') return 'store must be a database name';
  if (spec.durability !== undefined && !isDurability(spec.durability)) return `unknown durability ${JSON.stringify(spec.durability)}`;
  if (spec.restart !== undefined && typeof spec.restart !== 'boolean') return 'restart must be a boolean';
  if (spec.replicas !== undefined && !isReplicas(spec.replicas)) return 'replicas must be 0 or 1';
  if (replication !== undefined && replication !== 'streaming' && replication !== 'periodic') {
    return `unknown replication ${JSON.stringify(replication)}`;
  }
  if (seqStart !== undefined && !isCount(seqStart)) {
    return 'seqStart must be a non-negative integer';
  }
  if (peerExists !== undefined && typeof peerExists !== 'boolean') return 'peerExists must be a boolean';
  const follow = spec.follow;
  if (
    follow !== undefined &&
    !(isRecord(follow) && typeof follow.cm === 'string' && isCmId(follow.cm) && isCount(follow.epoch) && follow.epoch >= 1)
  ) {
    return 'follow must name a CM (cm1 or cm2) and an epoch of 1 or more';
  }
  return timingError(overrides);
}

/**
 * The spec a host builds once it has read what the node's store holds for it: a restarted client
 * (`restart`) comes back with its table, a fresh one without; a rebooted CM (restartCM,
 * restartBackup) with its epoch and members, a fresh one with its epoch alone (never reuse one:
 * members of an earlier cluster would block writes after a takeover, waiting for reports that
 * never come).
 */
export function durableFor(spec: NodeSpec, entries: readonly DurableEntry[] | null): NodeSpec {
  if (entries === null) return spec;
  if (spec.role === 'client') {
    const durable = spec.restart ? clientDurableOf(entries) : undefined;
    return durable ? { ...spec, durable } : spec;
  }
  const saved = cmDurableOf(entries);
  if (!saved) return spec;
  const reboot = spec.start === 'restartCM' || spec.start === 'restartBackup';
  return { ...spec, durable: reboot ? saved : { epoch: saved.epoch, members: [] } };
}

/**
 * What a started node came back with, for the page to say ("3 owned page(s) persisted"); null
 * for a fresh node that took nothing.
 */
export function describeDurable(spec: NodeSpec): string | null {
  const restart = spec.role === 'client' ? spec.restart === true : spec.start === 'restartCM' || spec.start === 'restartBackup';
  if (spec.durable === undefined) return restart ? 'nothing persisted' : null;
  return spec.role === 'client' ? `${spec.durable.owned.length} owned page(s) persisted` : `last epoch ${spec.durable.epoch}`;
}

/** `now` is the host's clock: a CM counts silence from its start, so it must be the same clock as tick(). */
export function makeNode(spec: NodeSpec, now: number): MadeNode {
  if (spec.role === 'cm') {
    const cm = new CentralManager({
      id: spec.id,
      start: spec.start,
      members: spec.members ?? [],
      durable: spec.durable,
      now,
      replication: spec.replication,
      timing: timing(spec.timing),
      peerExists: spec.peerExists,
    });
    return { node: cm, snapshot: () => ({ role: 'cm', snapshot: cm.snapshot() }), submit: null, forget: (id, now) => cm.forget(id, now) };
  }
  // A client started in the page may be news to the acting CM (it was not a member when the CM
  // started, or the CM took over since): it announces itself with a report.
  const client = new ClientNode({
    id: spec.id,
    pageSizeBytes: PAGE_SIZE_BYTES,
    announce: true,
    cm: spec.follow?.cm,
    epoch: spec.follow?.epoch,
    durable: spec.durable,
    seqStart: spec.seqStart,
    timing: timing(spec.timing),
    replicas: spec.replicas,
  });
  return {
    node: client,
    snapshot: () => ({ role: 'client', snapshot: client.snapshot() }),
    submit: (op, now) => client.submit(op, now),
    forget: null,
  };
}
