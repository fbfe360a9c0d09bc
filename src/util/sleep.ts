// Waiting in async code, on the host's timers.

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

/** Until `at` on the clock `now` reads. */
export function sleepUntil(at: number, now: () => number): Promise<void> {
  return sleep(at - now());
}
