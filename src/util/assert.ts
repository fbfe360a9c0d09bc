// Assertions for states the code's own logic rules out (TigerBeetle's assertions, raft's panics).
// Each one states a fact some other place in the code guarantees, so a refactor that breaks the
// guarantee fails where the damage is done rather than as a wedged page much later. They are never
// for what comes from outside: a forged, garbled or stale frame is refused by validate.ts or
// ignored by the node with a log line, and must not reach one of these.
//
// The core never catches what these throw. A host logs it as an error (HostCore.guard), which the
// simulator counts as a violation, and a test stepping the core by hand fails on it.

export class AssertionError extends Error {
  override name = 'AssertionError';
}

/** Throws unless `cond` holds. `what` says which fact broke; a function is called only then. */
export function assert(cond: boolean, what: string | (() => string)): asserts cond {
  if (!cond) throw new AssertionError(`impossible state: ${typeof what === 'string' ? what : what()}`);
}
