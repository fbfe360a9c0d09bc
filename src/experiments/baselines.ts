// The baselines measured beside the protocol in the same run: the ping round trip between two
// workers (one hop each way: the floor under any protocol) and the central store (every read
// and write a round trip to one store worker) on the same operations as a DSM scenario.
import * as Comlink from 'comlink';
import { checkLinearizable } from '../check/checker.ts';
import { commonNow } from '../host/env.ts';
import type { BaselineClientApi } from './central-store.ts';
import { mergeHistory } from './record.ts';
import { summarize } from './stats.ts';
import type { LatencySummary, WorkloadShape } from './types.ts';

export interface BaselineEnv {
  spawnStore(): { accept(port: MessagePort): void; terminate(): void };
  spawnClient(): { api: Comlink.Remote<BaselineClientApi>; terminate(): void };
}

export function browserBaselineEnv(): BaselineEnv {
  return {
    spawnStore() {
      const w = new Worker(new URL('./baseline-store.worker.ts', import.meta.url), { type: 'module', name: 'baseline-store' });
      return { accept: (port) => w.postMessage({ port }, [port]), terminate: () => w.terminate() };
    },
    spawnClient() {
      const w = new Worker(new URL('./baseline-client.worker.ts', import.meta.url), { type: 'module', name: 'baseline-client' });
      return { api: Comlink.wrap<BaselineClientApi>(w), terminate: () => w.terminate() };
    },
  };
}

export interface PingResult {
  count: number;
  /** Pings back to back: both threads stay awake. */
  rtt: LatencySummary;
  /** Half the median back-to-back round trip. */
  oneWayMs: number | null;
  /**
   * Pings after SPACED_GAP_MS of idleness each, as a protocol message usually finds its
   * receiver: a sleeping thread must be woken, which on a shared machine costs far more.
   */
  spacedRtt: LatencySummary;
  spacedCount: number;
}

const SPACED_GAP_MS = 5;

export type CentralStoreConfig = WorkloadShape;

export interface CentralStoreResult {
  name: string;
  config: CentralStoreConfig;
  issued: number;
  ok: number;
  totalMs: number;
  throughputOpsPerS: number;
  read: LatencySummary;
  write: LatencySummary;
  linearizable: boolean;
}

async function withStore<T>(env: BaselineEnv, clients: number, f: (apis: Comlink.Remote<BaselineClientApi>[]) => Promise<T>): Promise<T> {
  const store = env.spawnStore();
  const spawned = Array.from({ length: clients }, () => env.spawnClient());
  try {
    for (const c of spawned) {
      const channel = new MessageChannel();
      store.accept(channel.port1);
      await c.api.connect(Comlink.transfer(channel.port2, [channel.port2]));
    }
    return await f(spawned.map((c) => c.api));
  } finally {
    for (const c of spawned) c.terminate();
    store.terminate();
  }
}

/** `count` pings, one at a time, after a short warm-up that is not counted. */
export function runPing(count: number, env: BaselineEnv = browserBaselineEnv()): Promise<PingResult> {
  return withStore(env, 1, async ([api]) => {
    if (!api) throw new Error('no ping client');
    await api.ping(Math.min(100, count));
    const rtt = summarize(await api.ping(count));
    const spacedCount = Math.max(1, Math.floor(count / 10));
    const spacedRtt = summarize(await api.ping(spacedCount, SPACED_GAP_MS));
    return { count, rtt, oneWayMs: rtt.p50Ms === null ? null : rtt.p50Ms / 2, spacedRtt, spacedCount };
  });
}

export function runCentralStore(c: CentralStoreConfig, env: BaselineEnv = browserBaselineEnv()): Promise<CentralStoreResult> {
  return withStore(env, c.clients, async (apis) => {
    const startAt = commonNow() + 100 + 5 * c.clients;
    const lists = await Promise.all(
      apis.map((api, i) =>
        api.runWorkload({
          random: { client: i + 1, pages: c.pages, readRatio: c.readRatio, count: c.opsPerClient, seed: c.seed },
          startAt,
        }),
      ),
    );
    const ops = lists.flat();
    const first = Math.min(...ops.map((o) => o.invokedAt));
    const totalMs = ops.length === 0 ? 0 : Math.max(...ops.map((o) => o.doneAt)) - first;
    const ok = ops.filter((o) => o.outcome === 'ok').length;
    const history = mergeHistory(
      lists.map((l, i) => ({ process: i + 1, ops: l })),
      [],
      startAt,
    );
    const latency = (kind: 'read' | 'write'): LatencySummary =>
      summarize(ops.filter((o) => o.kind === kind).map((o) => o.doneAt - o.invokedAt));
    return {
      name: c.name,
      config: c,
      issued: ops.length,
      ok,
      totalMs,
      throughputOpsPerS: totalMs === 0 ? 0 : ok / (totalMs / 1000),
      read: latency('read'),
      write: latency('write'),
      linearizable: checkLinearizable(history).ok,
    };
  });
}
