// The two things a host does with a store's files besides logging: read a node's newest state
// before it starts (recover.ts does the choosing), and fold the logs of writers that are gone
// into home files so that their files can go (a sweep). Both run while other writers of the same
// origin (other workers, other tabs) append, compact and sweep: nothing is removed before what
// replaces it is stored, and a read that finds a listed file gone starts over.
import type { NodeId } from '../protocol/ids.ts';
import { concerns, recoverNode, type Recovery, type StoredFile } from './recover.ts';
import { encodeRecord, homeName, indexFile, nodesIn, parseHomeName, parseLogName, stateIn } from './records.ts';
import { writeFileAsync, type StoreVolume } from './volume.ts';

/** Reads that found a file gone (removed by a compaction or a sweep meanwhile) start over this often at most. */
const READ_ATTEMPTS = 20;

/**
 * The newest state of `node` the store holds, from a set of files that were all there at once:
 * a read that finds a listed file gone starts over (what replaced it may have been made after the
 * listing). It never settles on a partial view: after READ_ATTEMPTS it fails, and the node does
 * not start (a person may try again), rather than start from less than it stored.
 */
export async function readNodeState(volume: StoreVolume, node: NodeId): Promise<Recovery> {
  for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
    const names = (await volume.list()).filter((n) => concerns(n, node)).sort();
    const files: StoredFile[] = [];
    let gone = false;
    for (const name of names) {
      const bytes = await volume.read(name);
      if (bytes === null) {
        gone = true;
        break;
      }
      files.push({ name, bytes });
    }
    if (!gone) return recoverNode(files, node);
  }
  throw new Error(`the store's files kept changing while ${node}'s state was read (${READ_ATTEMPTS} tries); try again`);
}

export interface Swept {
  /** Logs of gone writers, folded and removed. */
  logs: string[];
  /** Home files written for the nodes they held. */
  homes: string[];
}

/**
 * Folds every log whose writer is gone (nobody holds it) into home files, then removes it; then
 * removes every home that a newer home of the same node replaces. `mine` says which writers are
 * this thread's own (never swept here); `covered` which states its own log already holds a
 * newer one of (a node that started here from that very log), so that no home is written for them.
 * Homes are always flushed: the log folded may have been written at `disk` durability, whatever
 * the sweeping writer's is.
 */
export async function sweep(
  volume: StoreVolume,
  mine: (writer: string) => boolean,
  covered: (node: NodeId, lsn: number) => boolean = () => false,
): Promise<Swept> {
  const out: Swept = { logs: [], homes: [] };
  const names = await volume.list();
  // Only homes that hold what their name says count: one torn by a crash while it was written
  // must neither stop a log from being folded nor let an older home go.
  const homes = new Map<NodeId, number>();
  for (const n of names) {
    const h = parseHomeName(n);
    if (!h || h.lsn <= (homes.get(h.node) ?? 0)) continue;
    const bytes = await volume.read(n);
    if (bytes !== null && stateIn(indexFile(bytes), h.node).state?.lsn === h.lsn) homes.set(h.node, h.lsn);
  }
  for (const name of names) {
    const log = parseLogName(name);
    if (!log || mine(log.writer)) continue;
    const release = await volume.claim(name);
    if (!release) continue;
    try {
      const bytes = await volume.read(name);
      if (bytes === null) continue;
      const index = indexFile(bytes);
      for (const node of nodesIn(index)) {
        const s = stateIn(index, node).state;
        if (!s || s.lsn <= (homes.get(node) ?? 0) || covered(node, s.lsn)) continue;
        const home = homeName(node, s.lsn);
        await writeFileAsync(volume, home, encodeRecord({ t: 'snap', node, lsn: s.lsn, entries: s.entries }), true);
        homes.set(node, s.lsn);
        out.homes.push(home);
      }
    } finally {
      release();
    }
    volume.remove(name);
    out.logs.push(name);
  }
  for (const n of names) {
    const h = parseHomeName(n);
    if (h && h.lsn < (homes.get(h.node) ?? 0)) volume.remove(n);
  }
  return out;
}
