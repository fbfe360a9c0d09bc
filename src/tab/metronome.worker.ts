// The timers of a tab node, kept where a background tab does not slow them: browsers throttle a
// hidden page's timers to one a second (then one a minute), which would make a standby CM in a
// background tab miss pulses and take over. A dedicated worker's timers keep their pace, and the
// message it posts when one fires wakes the page's main thread, where the node runs.
// The page posts [id, ms] to arm timer `id` (ms < 0 cancels it); the worker posts `id` back when it fires.
const ctx = self as unknown as { postMessage(v: unknown): void; onmessage: ((e: MessageEvent) => void) | null };
const armed = new Map<number, ReturnType<typeof setTimeout>>();

ctx.onmessage = (e: MessageEvent) => {
  const [id, ms] = Array.isArray(e.data) ? (e.data as unknown[]) : [];
  if (typeof id !== 'number' || typeof ms !== 'number') return;
  clearTimeout(armed.get(id));
  armed.delete(id);
  if (ms < 0) return;
  armed.set(
    id,
    setTimeout(() => {
      armed.delete(id);
      ctx.postMessage(id);
    }, ms),
  );
};
