// The write windows of a log in a browser thread (see LogWriterOptions.schedule): the end of the
// task that made the commit (a microtask), or a task posted behind every task already waiting
// (messages that arrived while the thread was busy, a flush included), so that the steps they
// cause are written together.
import type { WriteWindows } from './log-writer.ts';

export function browserWindows(): WriteWindows {
  return {
    endOfTask: (f) => queueMicrotask(f),
    afterQueuedTasks: taskScheduler(),
    // In Node (unit tests) a retry or a watch must not keep the process alive.
    after: (ms, f) => void (setTimeout(f, ms) as { unref?: () => void }).unref?.(),
  };
}

function taskScheduler(): (f: () => void) => void {
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
