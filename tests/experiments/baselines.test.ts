// The baselines and the copy-set probe on in-process workers: the right number of samples,
// every operation answered, the store's history linearizable. No timing is asserted.
import * as Comlink from 'comlink';
import { afterEach, describe, expect, it } from 'vitest';
import { runCentralStore, runPing, type BaselineEnv } from '../../src/experiments/baselines.ts';
import { createBaselineClient, serveStore, type BaselineClientApi } from '../../src/experiments/central-store.ts';
import { runCopySet } from '../../src/experiments/copy-set.ts';
import { inProcessEnv } from '../support/experiments-env.ts';

const closers: Array<() => void> = [];
afterEach(() => {
  for (const c of closers.splice(0)) c();
});

const env: BaselineEnv = {
  spawnStore() {
    const pages = new Map<string, string>();
    const ports: MessagePort[] = [];
    const close = (): void => {
      for (const p of ports) p.close();
    };
    closers.push(close);
    return {
      accept: (port) => {
        ports.push(port);
        serveStore(port, pages);
      },
      terminate: close,
    };
  },
  spawnClient() {
    const channel = new MessageChannel();
    Comlink.expose(createBaselineClient(), channel.port1);
    const close = (): void => {
      channel.port1.close();
      channel.port2.close();
    };
    closers.push(close);
    return { api: Comlink.wrap<BaselineClientApi>(channel.port2), terminate: close };
  },
};

describe('baselines', () => {
  it('pings back to back and after idle gaps', async () => {
    const r = await runPing(20, env);
    expect(r.rtt.count).toBe(20);
    expect(r.spacedCount).toBe(2);
    expect(r.spacedRtt.count).toBe(2);
    expect(r.oneWayMs).toBe((r.rtt.p50Ms ?? NaN) / 2);
  });

  it('serves every read and write of the central store, linearizably', async () => {
    const r = await runCentralStore({ name: 'store', clients: 3, pages: 4, readRatio: 0.5, opsPerClient: 40, seed: 3 }, env);
    expect(r.issued).toBe(120);
    expect(r.ok).toBe(120);
    expect(r.read.count + r.write.count).toBe(120);
    expect(r.linearizable).toBe(true);
  });
});

describe('copy-set probe', () => {
  const cluster = inProcessEnv();
  afterEach(() => cluster.stopAll());

  it("times one write fault per repeat and every reader's read fault", async () => {
    const r = await runCopySet({ sizes: [0, 3], repeats: 2, persist: false }, () => {}, cluster);
    expect(r.points.map((p) => p.readers)).toEqual([0, 3]);
    expect(r.points.map((p) => p.writeFault.count)).toEqual([2, 2]);
    expect(r.points.map((p) => p.readFault.count)).toEqual([0, 6]);
    expect(r.points.every((p) => p.failures === 0)).toBe(true);
  });
});
