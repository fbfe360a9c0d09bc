// The baselines' two halves. A central store (one worker holding every page: every read and
// write is a round trip to it, what a user would pick instead of DSM) and its clients, which
// also measure the floor under any protocol: a ping round trip between two workers.
import type { OpRequest } from '../protocol/client.ts';
import type { OpResult } from '../protocol/node.ts';
import { commonNow } from '../host/env.ts';
import { sleep } from '../util/sleep.ts';
import { runOps, type TimedOp, type WorkloadPlan } from './workload-runner.ts';

export type StoreBody = { op: 'ping' } | { op: 'read'; page: string } | { op: 'write'; page: string; value: string };

export type StoreRequest = StoreBody & { id: number };

export interface StoreReply {
  id: number;
  value: string | null;
}

/** Serves one client's port; every client shares the same `pages`. */
export function serveStore(port: MessagePort, pages: Map<string, string>): void {
  port.onmessage = (e: MessageEvent<StoreRequest>) => {
    const r = e.data;
    let value: string | null = null;
    if (r.op === 'read') value = pages.get(r.page) ?? null;
    else if (r.op === 'write') pages.set(r.page, r.value);
    port.postMessage({ id: r.id, value } satisfies StoreReply);
  };
}

export interface BaselineClientApi {
  connect(port: MessagePort): void;
  /** Round-trip times of `count` pings, one at a time, in ms; `gapMs` of idleness before each. */
  ping(count: number, gapMs?: number): Promise<number[]>;
  runWorkload(plan: WorkloadPlan): Promise<TimedOp[]>;
}

export function createBaselineClient(): BaselineClientApi {
  let port: MessagePort | null = null;
  let nextId = 1;
  const waiting = new Map<number, (value: string | null) => void>();
  const ask = (body: StoreBody): Promise<string | null> =>
    new Promise((resolve) => {
      if (!port) throw new Error('this baseline client has no store');
      const id = nextId++;
      waiting.set(id, resolve);
      port.postMessage({ ...body, id });
    });
  const submit = async (op: OpRequest): Promise<OpResult> => {
    const value = await ask(op.kind === 'read' ? { op: 'read', page: op.page } : { op: 'write', page: op.page, value: op.value });
    return { ok: true, value: op.kind === 'read' ? value : null, local: false };
  };
  return {
    connect(p) {
      port = p;
      p.onmessage = (e: MessageEvent<StoreReply>) => {
        waiting.get(e.data.id)?.(e.data.value);
        waiting.delete(e.data.id);
      };
    },
    async ping(count, gapMs = 0) {
      const samples: number[] = [];
      for (let i = 0; i < count; i++) {
        if (gapMs > 0) await sleep(gapMs);
        const t0 = commonNow();
        await ask({ op: 'ping' });
        samples.push(commonNow() - t0);
      }
      return samples;
    },
    runWorkload: (plan) => runOps(submit, plan),
  };
}
