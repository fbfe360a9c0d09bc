// What a tab node lets other tabs (the overview) do to it, through Comlink over a PeerJS link
// on the `control` channel. Only these calls pass (decodeComlinkWire), only to peers holding the
// cluster key; answers are plain data, since a data channel carries no Comlink proxies.
import type { NodeId } from '../protocol/ids.ts';
import type { NodeState } from '../host/make-node.ts';
import type { Answer } from '../console/run-command.ts';

export const CONTROL_CHANNEL = 'control';

export interface PeerStatus {
  peer: NodeId;
  linked: boolean;
  /** Since a frame last came from the peer; null: never. */
  heardMsAgo: number | null;
}

export interface TabNodeInfo {
  id: NodeId;
  role: 'cm' | 'client';
  state: NodeState;
  peers: PeerStatus[];
  /** The CM this node listens to: a client's CM, a CM's counterpart. */
  cmLink: (PeerStatus & { epoch: number }) | null;
  stopped: boolean;
}

export interface TabControlApi {
  info(): TabNodeInfo;
  /** One console line (`readPage P1`, `writePage P1 x`, `print`), answered as the tab's console would. */
  command(line: string): Promise<Answer>;
  /** Kills the node, as closing its tab would (the tab stays open and says so). */
  kill(): void;
}
