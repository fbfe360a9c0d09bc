// The write window of a log in a browser thread: a task posted behind every task already
// waiting (messages that arrived while the thread was busy, a flush included), so that the steps
// they cause are written together. A microtask would end the window after each message.

export function taskScheduler(): (f: () => void) => void {
  const channel = new MessageChannel();
  const waiting: Array<() => void> = [];
  channel.port1.onmessage = () => {
    const run = waiting.splice(0);
    for (const f of run) f();
  };
  // In Node (unit tests) an open port would keep the process alive.
  (channel.port1 as { unref?: () => void }).unref?.();
  (channel.port2 as { unref?: () => void }).unref?.();
  return (f) => {
    waiting.push(f);
    if (waiting.length === 1) channel.port2.postMessage(0);
  };
}
