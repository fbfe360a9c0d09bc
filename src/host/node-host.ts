// A host as the workers and tabs run it: the core that runs the node (host-core.ts) with the
// inspector that tells the dashboard about it (inspector.ts) attached, as raft's Node is its
// RawNode with channels around it. The simulator runs a bare HostCore.
import type { HostEnv } from './env.ts';
import { HostCore } from './host-core.ts';
import { Inspector, type HostEventType, type HostListener } from './inspector.ts';
import type { MadeNode } from './make-node.ts';

export { ALL_EVENTS, STATE_PUSH_MS, type HostEvent, type HostEventType, type HostListener } from './inspector.ts';

export class NodeHost extends HostCore {
  private readonly inspector: Inspector;

  constructor(made: MadeNode, env: HostEnv) {
    super(made, env);
    this.inspector = new Inspector(this, env);
  }

  /** Listens to the given event types (all by default) until the returned function is called. */
  subscribe(listener: HostListener, types?: readonly HostEventType[]): () => void {
    return this.inspector.subscribe(listener, types);
  }
}
