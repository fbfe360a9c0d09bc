// A node's state after a crash, from whatever files its store holds: the newest state any of
// them has for it (the highest record number, records.ts), read up to each file's first torn or
// unreadable record. Pure: the hosts read the files (browser, tests, simulator) and hand them in.
import type { NodeId } from '../protocol/ids.ts';
import { indexFile, parseHomeName, parseLogName, stateIn, type NodeState } from './records.ts';

export interface StoredFile {
  name: string;
  bytes: Uint8Array;
}

export interface Recovery {
  /** The newest state found, or null when no file holds one (a node never started here). */
  state: NodeState | null;
  /** The highest record number any file gives the node (0 for none): its next life numbers past it. */
  lsn: number;
  /** Files of the node's whose tail was dropped: torn by a crash or a full disk, or unreadable by this version. */
  torn: Array<{ name: string; bytes: number; problem: string | null }>;
}

/** The files a recovery of `node` must read: every log, and the node's own homes. */
export function concerns(name: string, node: NodeId): boolean {
  return parseLogName(name) !== null || parseHomeName(name)?.node === node;
}

export function recoverNode(files: Iterable<StoredFile>, node: NodeId): Recovery {
  const out: Recovery = { state: null, lsn: 0, torn: [] };
  for (const f of files) {
    if (!concerns(f.name, node)) continue;
    const index = indexFile(f.bytes);
    const { state: s, problem } = stateIn(index, node);
    // Said only of the files that hold the node's records (other nodes' tails are theirs to tell).
    const its = s !== null || parseHomeName(f.name)?.node === node;
    if (its && (index.tornBytes > 0 || problem !== null)) out.torn.push({ name: f.name, bytes: index.tornBytes, problem });
    if (s !== null && (out.state === null || s.lsn > out.state.lsn)) out.state = s;
  }
  out.lsn = out.state?.lsn ?? 0;
  return out;
}
