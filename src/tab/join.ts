// How a tab finds the cluster before it is a node, and how a client gets its id, without any
// shared IndexedDB: a short-lived lobby peer asks the CMs, at their well-known PeerJS ids, over
// the `join` channel. The acting CM answers with the next client id (above every member it
// knows and every id it offered before), and every CM answers with what it knows of the
// cluster: its role, epoch and roster. The PeerServer still has the last word on ids: a taken
// id fails the claim, and the tab asks again for one above it.
import { BACKUP_CM, CLIENT_NUMBER_MAX, clientNumber, isNodeId, PRIMARY_CM, type NodeId } from '../protocol/ids.ts';
import { EPOCH_MAX } from '../protocol/limits.ts';
import type { CmRole } from '../protocol/manager.ts';
import { peerIdFor, type ClusterPeer } from '../net/peer-connect.ts';
import type { Decode, TransportEvent } from '../net/transport.ts';
import { isCount, isRecord } from '../util/checks.ts';

export const JOIN_CHANNEL = 'join';
/** Asks one link may carry; a lobby needs one or two. */
const ASKS_PER_LINK_MAX = 8;
const ROSTER_MAX = 4_096;

export type JoinAsk = { t: 'ask'; want: 'client-id' | 'roster'; atLeast: number };

export interface JoinAnswer {
  t: 'answer';
  cm: NodeId;
  role: CmRole;
  epoch: number;
  /** Every node this CM knows: members, ids it offered, the CMs. */
  roster: NodeId[];
  /** The client id offered; only the acting CM offers one. */
  offer: NodeId | null;
}

export type JoinFrame = JoinAsk | JoinAnswer;

export const decodeJoinFrame: Decode<JoinFrame> = (raw) => {
  if (!isRecord(raw)) return { ok: false, error: 'not a join frame' };
  if (raw.t === 'ask') {
    if (raw.want !== 'client-id' && raw.want !== 'roster') return { ok: false, error: 'bad join ask' };
    // The CM numbers its offers from it: one past the last client id would poison every answer.
    if (!isCount(raw.atLeast, CLIENT_NUMBER_MAX)) return { ok: false, error: `bad join ask: atLeast must be 0 to ${CLIENT_NUMBER_MAX}` };
    return { ok: true, frame: { t: 'ask', want: raw.want, atLeast: raw.atLeast } };
  }
  if (raw.t === 'answer') {
    const { cm, role, epoch, roster, offer } = raw;
    if (cm !== PRIMARY_CM && cm !== BACKUP_CM) return { ok: false, error: 'join answer from a non-CM' };
    if (role !== 'acting' && role !== 'standby' && role !== 'rejoining') return { ok: false, error: 'bad role' };
    if (!isCount(epoch, EPOCH_MAX)) return { ok: false, error: 'bad epoch' };
    if (!Array.isArray(roster) || roster.length > ROSTER_MAX || !roster.every(isNodeId)) return { ok: false, error: 'bad roster' };
    if (offer !== null && (!isNodeId(offer) || clientNumber(offer) === null)) return { ok: false, error: 'bad offer' };
    return { ok: true, frame: { t: 'answer', cm, role, epoch, roster, offer } };
  }
  return { ok: false, error: 'unknown join frame' };
};

/** What a CM tab knows when it answers. */
export interface CmView {
  id: NodeId;
  role: CmRole;
  epoch: number;
  members: NodeId[];
}

/** The CM side: answers asks on the join channel. Returns a function that stops serving. */
export function serveJoin(peer: ClusterPeer, view: () => CmView, log: (line: string) => void): () => void {
  /** Client numbers offered by this tab; a newcomer that never shows up keeps its number used. */
  const offered = new Set<number>();
  return peer.accept(JOIN_CHANNEL, decodeJoinFrame, (link) => {
    let asks = 0;
    link.addListener((e: TransportEvent<JoinFrame>) => {
      if (e.type === 'bad-frame') log(`join link from ${link.remoteId}: dropped a bad frame: ${e.error}`);
      if (e.type !== 'frame' || e.frame.t !== 'ask') return;
      if (++asks > ASKS_PER_LINK_MAX) {
        link.close();
        return;
      }
      const v = view();
      const numbers = [...v.members.map((m) => clientNumber(m) ?? 0), ...offered];
      let offer: NodeId | null = null;
      if (e.frame.want === 'client-id' && v.role === 'acting') {
        const n = Math.max(0, e.frame.atLeast - 1, ...numbers) + 1;
        if (n > CLIENT_NUMBER_MAX)
          log(`join link from ${link.remoteId}: no client id left above c${n - 1} (c${CLIENT_NUMBER_MAX} is the last)`);
        else {
          offered.add(n);
          offer = `c${n}`;
        }
      }
      const roster = [...new Set([PRIMARY_CM, BACKUP_CM, ...v.members, ...[...offered].map((n) => `c${n}`)])];
      link.send({ t: 'answer', cm: v.id, role: v.role, epoch: v.epoch, roster, offer });
    });
  });
}

/** The asking side: puts one ask to both CMs at once; resolves with the answers that came within `ms`, or once `enough`. */
export function askCms(
  peer: ClusterPeer,
  prefix: string,
  ask: JoinAsk,
  ms: number,
  enough: (answers: JoinAnswer[]) => boolean = () => false,
  log: (line: string) => void = () => {},
): Promise<JoinAnswer[]> {
  const one = async (cm: NodeId): Promise<JoinAnswer | null> => {
    let link;
    try {
      link = await peer.connect(peerIdFor(prefix, cm), JOIN_CHANNEL, decodeJoinFrame, ms);
    } catch (e) {
      log(`${cm} does not answer: ${(e as Error).message}`);
      return null;
    }
    const l = link;
    return new Promise<JoinAnswer | null>((resolve) => {
      let settled = false;
      const done = (a: JoinAnswer | null): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(a);
        l.close();
      };
      const timer = setTimeout(() => {
        log(`${cm} took the link but gave no answer`);
        done(null);
      }, ms);
      l.addListener((e) => {
        if (e.type === 'bad-frame') log(`${cm} answered with a bad frame: ${e.error}`);
        if (e.type === 'close' && !settled) {
          log(`${cm} closed the join link without answering`);
          done(null);
        }
        if (e.type === 'frame' && e.frame.t === 'answer' && e.frame.cm === cm) {
          log(`${cm} answers: ${e.frame.role}, epoch ${e.frame.epoch}`);
          done(e.frame);
        }
      });
      l.send(ask);
    });
  };
  // An absent CM is only known absent when the PeerServer gives up on the offer (seconds): stop
  // waiting for it once the answers in hand are enough.
  return new Promise<JoinAnswer[]>((resolve) => {
    const answers: JoinAnswer[] = [];
    let pending = 2;
    for (const cm of [PRIMARY_CM, BACKUP_CM]) {
      void one(cm).then((a) => {
        if (a) answers.push(a);
        pending -= 1;
        if (pending === 0 || enough(answers)) resolve([...answers]);
      });
    }
  });
}
