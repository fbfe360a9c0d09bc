// Coverage marks (rust-analyzer's cov_mark, TigerBeetle's marks): `mark('name')` at a subtle
// branch, and a test that drives the branch with `checkMark('name', ...)`, which fails if the
// branch was not taken. A mark ties a branch that exists because of a past bug to the test that
// shows why: delete the branch, or change the code so the test no longer reaches it, and that
// test fails, where a test of outcomes alone might pass by another road.
//
// Marks count only while a test watches (countMarks): otherwise mark() is one null check, so the
// browser build and the simulator pay nothing measurable, and the core stays deterministic (a
// count is never read back by the code it marks).

let counting: Map<string, number> | null = null;

/** Notes that the branch named `name` was taken (counted only inside countMarks). */
export function mark(name: string): void {
  if (counting !== null) counting.set(name, (counting.get(name) ?? 0) + 1);
}

/** Runs `f` and returns how many times each mark was hit meanwhile (nested calls count in both). */
export function countMarks(f: () => void): ReadonlyMap<string, number> {
  const outer = counting;
  const mine = new Map<string, number>();
  counting = mine;
  try {
    f();
  } finally {
    counting = outer;
    if (outer !== null) for (const [name, n] of mine) outer.set(name, (outer.get(name) ?? 0) + n);
  }
  return mine;
}

/** Runs `f` and throws unless it hit mark `name`; returns the number of hits. */
export function checkMark(name: string, f: () => void): number {
  const hits = countMarks(f).get(name) ?? 0;
  if (hits === 0) throw new Error(`mark ${name} was not hit: the branch it marks was not taken`);
  return hits;
}
