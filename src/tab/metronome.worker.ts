// A clock for a tab node that a background tab does not slow down: browsers throttle a hidden
// page's timers to one a second (then one a minute), which would make a standby CM in a
// background tab miss pulses and take over. A dedicated worker's timers keep their pace, and the
// messages it posts wake the page's main thread, where the node runs.
const ctx = self as unknown as { postMessage(v: unknown): void; onmessage: ((e: MessageEvent) => void) | null };
let timer: ReturnType<typeof setInterval> | null = null;

ctx.onmessage = (e: MessageEvent) => {
  const ms = e.data as unknown;
  if (timer !== null) clearInterval(timer);
  timer = null;
  if (typeof ms === 'number' && ms >= 5 && ms <= 1_000) timer = setInterval(() => ctx.postMessage(0), ms);
};
