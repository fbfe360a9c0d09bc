// A node's durable state as a table of entries, each under a key of its own: a client's
// identity and request block, each page it owns, each handoff, ghost and transfer number; a
// CM's epoch and members. A node hands its host only the entries that changed (deletions as
// entries whose value is null), so what a commit costs grows with what changed, never with what
// the node holds. Every disk (log, IndexedDB, simulator) keeps this table; a restart reads it
// back whole.
//
// Scope: an output about one page depends only on the node's pending changes to that page and
// to its identity; an output about no single page (a report, a pulse) depends on every pending
// change. The host's commit gate releases an output once the changes in its scope are durable.
import type { Access, Handoff, Message, Replica } from './messages.ts';
import { isPageMessage } from './messages.ts';
import type { NodeId, PageId, ReqId } from './ids.ts';

/** A page as its owner keeps it on disk. */
export interface OwnedPage {
  content: string | null;
  version: number;
  access: Access;
}

/**
 * What a CM persists: enough never to reuse an epoch and to know the members, and the replicas
 * it keeps of pages' last acknowledged versions (a cluster with `replicas: 1`).
 */
export interface CmDurable {
  epoch: number;
  members: NodeId[];
  replicas?: Replica[];
}

/** Request numbers reserved per commit: a restart skips at most this many. */
export const SEQ_BLOCK = 1024;

/** A client's durable table as one object: what a restarted client is built from. */
export interface ClientDurable {
  cm: NodeId;
  epoch: number;
  /**
   * Request numbers up to here may have been used: a restart numbers past it. Reserved a block
   * at a time (SEQ_BLOCK), so that a request costs no commit of its own.
   */
  seq: number;
  owned: Array<{ page: PageId } & OwnedPage>;
  handoffs: Handoff[];
  /** Pages handed on, kept until evicted so that a transfer lost with its receiver can be repeated. */
  ghosts: Array<{ req: ReqId } & Ghost>;
  /** Per page, the sequence number of the request under which its ownership last arrived here. */
  got?: Array<{ page: PageId; seq: number }>;
}

/** A page handed on, kept so that a transfer lost with its receiver can be repeated. */
export interface Ghost {
  page: PageId;
  to: NodeId;
  content: string | null;
  version: number;
}

export type DurableEntry =
  /** A client's CM and epoch, and the request numbers it may have used. */
  | { kind: 'client'; cm: NodeId; epoch: number; seq: number }
  /** A CM's epoch (never reused) and its members. */
  | { kind: 'cm'; epoch: number; members: NodeId[] }
  | { kind: 'page'; page: PageId; owned: OwnedPage | null }
  | { kind: 'handoff'; page: PageId; handoff: Handoff | null }
  | { kind: 'ghost'; req: ReqId; page: PageId; ghost: Ghost | null }
  /** The sequence number under which the page's ownership last arrived. */
  | { kind: 'got'; page: PageId; seq: number | null }
  /** A CM's replica of the page's last acknowledged version. */
  | { kind: 'replica'; page: PageId; replica: Omit<Replica, 'page'> | null };

export type DurableKind = DurableEntry['kind'];

/** The entry's key: a later entry with the same key replaces it. */
export function entryKey(e: DurableEntry): string {
  switch (e.kind) {
    case 'client':
    case 'cm':
      return e.kind;
    case 'ghost':
      return `ghost ${e.req}`;
    default:
      return `${e.kind} ${e.page}`;
  }
}

/** The page an entry belongs to, or null for a node's identity (which every output depends on). */
export function entryScope(e: DurableEntry): PageId | null {
  return e.kind === 'client' || e.kind === 'cm' ? null : e.page;
}

/** True for an entry that deletes its key. */
export function isDeletion(e: DurableEntry): boolean {
  switch (e.kind) {
    case 'page':
      return e.owned === null;
    case 'handoff':
      return e.handoff === null;
    case 'ghost':
      return e.ghost === null;
    case 'got':
      return e.seq === null;
    case 'replica':
      return e.replica === null;
    default:
      return false;
  }
}

/** The page an output is about, or null when it is about no single page (see the header). */
export function outputScope(m: Message): PageId | null {
  return isPageMessage(m) ? m.page : null;
}

/** A node's durable table, as a disk rebuilds it from snapshots and changes. */
export class DurableTable {
  private readonly entries = new Map<string, DurableEntry>();

  constructor(entries: Iterable<DurableEntry> = []) {
    this.apply(entries);
  }

  apply(changes: Iterable<DurableEntry>): void {
    for (const e of changes) {
      const key = entryKey(e);
      // Deleted first so that a changed entry moves to the end: a restarted node evicts its
      // oldest handoffs and ghosts in the order the running one did.
      this.entries.delete(key);
      if (!isDeletion(e)) this.entries.set(key, e);
    }
  }

  get size(): number {
    return this.entries.size;
  }

  /** Every entry, none a deletion. */
  list(): DurableEntry[] {
    return [...this.entries.values()];
  }
}

/** The entries of a client's durable state. */
export function clientEntries(d: ClientDurable): DurableEntry[] {
  const out: DurableEntry[] = [{ kind: 'client', cm: d.cm, epoch: d.epoch, seq: d.seq }];
  for (const { page, content, version, access } of d.owned) out.push({ kind: 'page', page, owned: { content, version, access } });
  for (const h of d.handoffs) out.push({ kind: 'handoff', page: h.page, handoff: h });
  for (const { req, ...g } of d.ghosts) out.push({ kind: 'ghost', req, page: g.page, ghost: g });
  for (const { page, seq } of d.got ?? []) out.push({ kind: 'got', page, seq });
  return out;
}

/** A client's durable state from its entries (deletions skipped); undefined without its identity entry. */
export function clientDurableOf(entries: Iterable<DurableEntry>): ClientDurable | undefined {
  let d: ClientDurable | undefined;
  const owned: ClientDurable['owned'] = [];
  const handoffs: Handoff[] = [];
  const ghosts: ClientDurable['ghosts'] = [];
  const got: NonNullable<ClientDurable['got']> = [];
  for (const e of entries) {
    if (e.kind === 'client') d = { cm: e.cm, epoch: e.epoch, seq: e.seq, owned, handoffs, ghosts, got };
    else if (e.kind === 'page' && e.owned) owned.push({ page: e.page, ...e.owned });
    else if (e.kind === 'handoff' && e.handoff) handoffs.push(e.handoff);
    else if (e.kind === 'ghost' && e.ghost) ghosts.push({ req: e.req, ...e.ghost });
    else if (e.kind === 'got' && e.seq !== null) got.push({ page: e.page, seq: e.seq });
  }
  return d;
}

/** A CM's durable state from its entries; undefined when it has none. */
export function cmDurableOf(entries: Iterable<DurableEntry>): CmDurable | undefined {
  let d: CmDurable | undefined;
  const replicas: Replica[] = [];
  for (const e of entries) {
    if (e.kind === 'cm') d = { epoch: e.epoch, members: e.members };
    else if (e.kind === 'replica' && e.replica) replicas.push({ page: e.page, ...e.replica });
  }
  if (d && replicas.length > 0) d.replicas = replicas;
  return d;
}

/** The entry that keeps (or, with null, drops) a CM's replica of a page. */
export function replicaEntry(page: PageId, r: Replica | undefined): DurableEntry {
  return { kind: 'replica', page, replica: r ? { version: r.version, content: r.content } : null };
}
