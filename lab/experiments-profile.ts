// CPU profiles of the experiment page's workers through the Chrome DevTools Protocol, for
// `npm run experiments -- --profile DIR`: every dedicated worker the page starts during a step
// is sampled, its profile written as DIR/<step>-<n>.cpuprofile (Chrome DevTools opens it), and
// the step's samples summed over all workers by function, so that what holds a run back can be
// read off the console.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CDPSession, Page } from '@playwright/test';

const SAMPLING_INTERVAL_US = 100;
const SHOWN = 30;

type Frame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: Frame };
type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };

interface WorkerTarget {
  sessionId: string;
  name: string;
}

export interface WorkerProfiler {
  /** Stops sampling; writes the profiles and returns the summary's lines. */
  stop(step: string): Promise<string[]>;
}

/** Starts sampling every worker the page has or starts from now on. */
export async function profileWorkers(page: Page, dir: string): Promise<WorkerProfiler> {
  const cdp: CDPSession = await page.context().newCDPSession(page);
  const workers: WorkerTarget[] = [];
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const send = (sessionId: string, method: string, params: object = {}): Promise<unknown> => {
    const id = nextId++;
    const answer = new Promise((resolve, reject) => pending.set(id, { resolve, reject }));
    void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) }).catch(() => {
      pending.get(id)?.reject(new Error(`${method}: the worker is gone`));
      pending.delete(id);
    });
    return answer;
  };
  cdp.on('Target.receivedMessageFromTarget', (e: { message: string }) => {
    const m = JSON.parse(e.message) as { id?: number; result?: unknown; error?: { message: string } };
    const waiting = m.id === undefined ? undefined : pending.get(m.id);
    if (!waiting || m.id === undefined) return;
    pending.delete(m.id);
    if (m.error) waiting.reject(new Error(m.error.message));
    else waiting.resolve(m.result);
  });
  cdp.on('Target.attachedToTarget', (e: { sessionId: string; targetInfo: { type: string; title: string; url: string } }) => {
    if (e.targetInfo.type !== 'worker') return;
    const target = { sessionId: e.sessionId, name: e.targetInfo.title || e.targetInfo.url };
    workers.push(target);
    void (async () => {
      await send(target.sessionId, 'Profiler.enable');
      await send(target.sessionId, 'Profiler.setSamplingInterval', { interval: SAMPLING_INTERVAL_US });
      await send(target.sessionId, 'Profiler.start');
    })().catch(() => {});
  });
  await cdp.send('Target.setAutoAttach', { autoAttach: true, waitForDebuggerOnStart: false, flatten: false });
  return {
    async stop(step) {
      const profiles: Array<{ name: string; profile: CpuProfile }> = [];
      for (const w of workers) {
        const r = (await Promise.race([
          send(w.sessionId, 'Profiler.stop').catch(() => null),
          new Promise((resolve) => setTimeout(() => resolve(null), 5000)),
        ])) as { profile: CpuProfile } | null;
        if (r) profiles.push({ name: w.name, profile: r.profile });
      }
      await cdp.detach().catch(() => {});
      profiles.forEach((p, i) => writeFileSync(join(dir, `${step}-${i + 1}.cpuprofile`), JSON.stringify(p.profile)));
      return summary(profiles);
    },
  };
}

/** Self time by function over every profile, largest first, with each worker's busy share. */
function summary(profiles: ReadonlyArray<{ name: string; profile: CpuProfile }>): string[] {
  const self = new Map<string, number>();
  let total = 0;
  const busy: string[] = [];
  for (const { name, profile } of profiles) {
    const byId = new Map(profile.nodes.map((n) => [n.id, n]));
    let mine = 0;
    let idle = 0;
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas[i] ?? 0;
      const f = byId.get(id)?.callFrame;
      const key = !f
        ? '?'
        : f.url
          ? `${f.functionName || '(anonymous)'} ${f.url.replace(/^.*\//, '')}:${f.lineNumber + 1}`
          : f.functionName;
      mine += dt;
      if (key === '(idle)') idle += dt;
      self.set(key, (self.get(key) ?? 0) + dt);
    });
    total += mine;
    busy.push(`${name}: ${(mine / 1000).toFixed(0)} ms sampled, ${(100 * (1 - idle / Math.max(1, mine))).toFixed(0)}% busy`);
  }
  const rows = [...self]
    .sort((a, b) => b[1] - a[1])
    .slice(0, SHOWN)
    .map(([k, us]) => `${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(1).padStart(8)} ms  ${k}`);
  return [`${profiles.length} worker profiles`, ...busy, ...rows];
}
