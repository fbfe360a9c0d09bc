// Operations of a history: each client invoke paired with its completion, in invoke order.
import { type ClientEvent, type HistoryEvent, isNemesis } from './history.ts';

export type Operation = {
  process: number;
  key: string;
  f: 'read' | 'write';
  value: string | null;
  invokeIndex: number;
  /** Index of the `ok` event; Infinity for an operation that may take effect arbitrarily late. */
  completeIndex: number;
  status: 'ok' | 'info';
};

type OpenCall = { event: ClientEvent; index: number };

function describeEvent(index: number): string {
  return `event ${index}`;
}

/** Turns an invoke plus its completion (null when the history ended first) into an operation. */
function completeOperation(call: OpenCall, done: ClientEvent | null, index: number): Operation | null {
  const type = done?.type ?? 'info';
  if (type === 'fail') return null; // certainly never took effect
  const { process, key, f } = call.event;
  const invokeIndex = call.index;
  // Literals, not spreads of a shared base: histories hold tens of thousands of operations.
  if (f === 'read') {
    // An indeterminate read returned nothing we can hold the register to.
    if (type !== 'ok' || done === null) return null;
    return { process, key, f, value: done.value, invokeIndex, completeIndex: index, status: 'ok' };
  }
  const written = call.event.value;
  const echoed = done?.value ?? null;
  if (written !== null && echoed !== null && written !== echoed) {
    const what = `write completion value ${JSON.stringify(echoed)}`;
    throw new Error(`${describeEvent(index)}: ${what} differs from its invoke's ${JSON.stringify(written)}`);
  }
  const value = written ?? echoed;
  if (type === 'ok') return { process, key, f, value, invokeIndex, completeIndex: index, status: 'ok' };
  return { process, key, f, value, invokeIndex, completeIndex: Infinity, status: 'info' };
}

/**
 * Pairs each client invoke with its completion. Drops failed operations and indeterminate
 * reads (neither constrains the register); an invoke with no completion counts as `info`.
 * Nemesis events are skipped. Throws on a history that breaks the one-call-per-process rule.
 */
export function pairOperations(events: HistoryEvent[]): Operation[] {
  const open = new Map<number, OpenCall>();
  const ops: Operation[] = [];
  events.forEach((e, index) => {
    if (isNemesis(e)) return;
    if (e.type === 'invoke') {
      const prior = open.get(e.process);
      if (prior) {
        const still = `its call at ${describeEvent(prior.index)} is still open`;
        throw new Error(`${describeEvent(index)}: process ${e.process} invokes while ${still}`);
      }
      open.set(e.process, { event: e, index });
      return;
    }
    const call = open.get(e.process);
    if (!call) throw new Error(`${describeEvent(index)}: process ${e.process} completes a ${e.f} it never invoked`);
    if (call.event.f !== e.f || call.event.key !== e.key) {
      const invoked = `${call.event.f} ${call.event.key}`;
      throw new Error(`${describeEvent(index)}: process ${e.process} completes ${e.f} ${e.key} but invoked ${invoked}`);
    }
    open.delete(e.process);
    const op = completeOperation(call, e, index);
    if (op) ops.push(op);
  });
  for (const call of open.values()) {
    const op = completeOperation(call, null, Infinity);
    if (op) ops.push(op);
  }
  return ops.sort((a, b) => a.invokeIndex - b.invokeIndex);
}
