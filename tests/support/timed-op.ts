// One operation as the workload runner times it, for tests that build results by hand: an
// acknowledged write of 'v' to P1 unless told otherwise.
import type { TimedOp } from '../../src/experiments/workload-runner.ts';

export function timedOp(o: Partial<TimedOp>): TimedOp {
  return { kind: 'write', page: 'P1', written: 'v', invokedAt: 0, doneAt: 1, outcome: 'ok', local: false, read: null, ...o };
}
