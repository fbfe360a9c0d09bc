// Checks of a node's durable state where it comes back from outside the running node: a log's
// records (disk/records.ts), IndexedDB (registry/node-store.ts), the whole states earlier
// versions kept (registry/whole-state.ts), a node spec that crossed a worker boundary
// (host/make-node.ts). What a disk gives back was written by this origin's own hosts, but maybe
// by another version of them, or by a bug: it is typed only once it passes here.
import type { Access } from './messages.ts';
import { isNodeId } from './ids.ts';
import type { ClientDurable, CmDurable, DurableEntry } from './durable.ts';
import { isCount, isRecord } from '../util/checks.ts';

const ACCESS: readonly unknown[] = ['nil', 'read', 'write'] satisfies Access[];

function contentOk(c: unknown): boolean {
  return c === null || typeof c === 'string';
}

function pageOk(p: unknown): boolean {
  return typeof p === 'string' && p.length > 0;
}

function membersOk(m: unknown): boolean {
  return Array.isArray(m) && m.every(isNodeId);
}

function ownedOk(o: unknown): boolean {
  return isRecord(o) && contentOk(o.content) && isCount(o.version) && ACCESS.includes(o.access);
}

/** `page` is the key it is kept under: a handoff naming another page is not this one's. */
function handoffOk(h: unknown, page: unknown): boolean {
  return isRecord(h) && h.page === page && isNodeId(h.to) && typeof h.req === 'string' && isCount(h.version);
}

/** As a handoff, kept under `page`. */
function ghostOk(g: unknown, page: unknown): boolean {
  return isRecord(g) && g.page === page && isNodeId(g.to) && contentOk(g.content) && isCount(g.version);
}

function replicaOk(r: unknown): boolean {
  return isRecord(r) && contentOk(r.content) && isCount(r.version);
}

function listOk(l: unknown, ok: (item: Record<string, unknown>) => boolean): boolean {
  return Array.isArray(l) && l.every((item) => isRecord(item) && ok(item));
}

/** Null when `x` is a well-formed entry, else why not. */
export function durableEntryError(x: unknown): string | null {
  if (!isRecord(x)) return 'a durable entry must be an object';
  switch (x.kind) {
    case 'client':
      return isNodeId(x.cm) && isCount(x.epoch) && isCount(x.seq) ? null : 'bad client entry';
    case 'cm':
      return isCount(x.epoch) && membersOk(x.members) ? null : 'bad cm entry';
    case 'page':
      return pageOk(x.page) && (x.owned === null || ownedOk(x.owned)) ? null : 'bad page entry';
    case 'handoff':
      return pageOk(x.page) && (x.handoff === null || handoffOk(x.handoff, x.page)) ? null : 'bad handoff entry';
    case 'ghost':
      return pageOk(x.page) && typeof x.req === 'string' && (x.ghost === null || ghostOk(x.ghost, x.page)) ? null : 'bad ghost entry';
    case 'got':
      return pageOk(x.page) && (x.seq === null || isCount(x.seq)) ? null : 'bad got entry';
    case 'replica':
      return pageOk(x.page) && (x.replica === null || replicaOk(x.replica)) ? null : 'bad replica entry';
    default:
      return `unknown durable entry kind ${JSON.stringify(x.kind)}`;
  }
}

/** Throws why `x` is not a well-formed entry. */
export function assertDurableEntry(x: unknown): asserts x is DurableEntry {
  throwIf(durableEntryError(x));
}

/** Null when `x` is a client's durable state as one object, else why not. */
export function clientDurableError(x: unknown): string | null {
  if (!isRecord(x)) return "a client's durable state must be an object";
  if (!isNodeId(x.cm) || !isCount(x.epoch) || !isCount(x.seq)) return 'bad client durable state (cm, epoch or seq)';
  if (!listOk(x.owned, (o) => pageOk(o.page) && ownedOk(o))) return 'bad owned pages in a durable state';
  if (!listOk(x.handoffs, (h) => handoffOk(h, h.page) && pageOk(h.page))) return 'bad handoffs in a durable state';
  if (!listOk(x.ghosts, (g) => typeof g.req === 'string' && pageOk(g.page) && ghostOk(g, g.page))) return 'bad ghosts in a durable state';
  if (x.got !== undefined && !listOk(x.got, (g) => pageOk(g.page) && isCount(g.seq))) return 'bad transfer numbers in a durable state';
  return null;
}

export function assertClientDurable(x: unknown): asserts x is ClientDurable {
  throwIf(clientDurableError(x));
}

/** Null when `x` is a CM's durable state as one object, else why not. */
export function cmDurableError(x: unknown): string | null {
  if (!isRecord(x)) return "a CM's durable state must be an object";
  if (!isCount(x.epoch) || !membersOk(x.members)) return 'bad CM durable state (epoch or members)';
  if (x.replicas !== undefined && !listOk(x.replicas, (r) => pageOk(r.page) && replicaOk(r))) return 'bad replicas in a durable state';
  return null;
}

export function assertCmDurable(x: unknown): asserts x is CmDurable {
  throwIf(cmDurableError(x));
}

function throwIf(error: string | null): void {
  if (error !== null) throw new Error(error);
}
