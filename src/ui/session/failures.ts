// Picks the failure-handling story out of what hosts report: takeovers, step-downs and members
// away or back (CM logs),
// epochs and roles (CM states), CHANGE_CM / IM_BACK / CM_STATE (messages), and the faults a
// person injected (kill, start, partition, heal), which the dashboard notes itself.
import type { NodeState } from '../../host/make-node.ts';
import type { TracedMessage } from '../../host/trace.ts';
import type { FailureEvent } from './types.ts';

const LOG_KINDS: readonly [RegExp, FailureEvent['kind']][] = [
  [/missed .* pulses|taking over/i, 'takeover'],
  [/steps down/i, 'step-down'],
  [/acts as CM/i, 'epoch'],
  [/ deems \S+ away/, 'away'],
  [/ hears from \S+ again/, 'back'],
];

export class FailureLog {
  private readonly cmStanding = new Map<string, string>();
  private readonly announced = new Set<string>();

  /** A CM's log line about failover, or null for anything else. */
  fromLog(node: string, text: string, at: number): FailureEvent | null {
    for (const [pattern, kind] of LOG_KINDS) if (pattern.test(text)) return { at, node, kind, text };
    return null;
  }

  /** A CM's role or epoch changed since its last state. */
  fromState(node: string, state: NodeState, at: number): FailureEvent | null {
    if (state.role !== 'cm') return null;
    const { role, epoch } = state.snapshot;
    const standing = `${role} ${epoch}`;
    if (this.cmStanding.get(node) === standing) return null;
    this.cmStanding.set(node, standing);
    return { at, node, kind: 'epoch', text: `${node} is ${role}, epoch ${epoch}` };
  }

  /** The first CHANGE_CM a CM sends under an epoch, and every IM_BACK / CM_STATE. */
  fromMessage(m: TracedMessage): FailureEvent | null {
    if (m.fate !== 'sent') return null;
    switch (m.type) {
      case 'CHANGE_CM': {
        const key = `${m.from}@${m.epoch}`;
        if (this.announced.has(key)) return null;
        this.announced.add(key);
        return { at: m.at, node: m.from, kind: 'change-cm', text: `${m.from} sends CHANGE_CM (CC) under epoch ${m.epoch}` };
      }
      case 'IM_BACK':
        return { at: m.at, node: m.from, kind: 'im-back', text: `${m.from} is back: IM_BACK (IB) to ${m.to}` };
      case 'CM_STATE':
        return { at: m.at, node: m.from, kind: 'cm-state', text: `${m.from} hands its state to ${m.to}: CM_STATE (CS), epoch ${m.epoch}` };
      default:
        return null;
    }
  }

  /** A node that left: its next state is news again. */
  forget(node: string): void {
    this.cmStanding.delete(node);
  }
}
