// `npm run bench:idb`: how many node states per second IndexedDB in headless Chromium commits on
// this machine, in the three shapes a host could write them: a transaction per node in a
// database of its own (what the hosts do), a transaction per pack for all its nodes, and every
// pack in one shared database. It bounds what durability before acknowledgement allows: every
// write needs at least one committed state, so no workload beats this rate by more than its
// ratio of operations to writes. A throwaway page on a loopback server gives IndexedDB an origin;
// the browser runs in a fresh profile on disk.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { chromiumArgs, chromiumExecutablePath } from '../scripts/chromium.ts';

const RUN_MS = 3000;
const NODES = 12;
const PACKS = 2;

interface Figures {
  statesPerS: number;
  transactionsPerS: number;
}

const server = createServer((_, res) => {
  res.writeHead(200, { 'content-type': 'text/html' });
  res.end('<!doctype html><title>bench:idb</title>');
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
const port = (server.address() as AddressInfo).port;
// A fresh profile on disk: an off-the-record page would keep IndexedDB in memory.
const profile = mkdtempSync(join(tmpdir(), 'ivy-bench-idb-'));
const context = await chromium.launchPersistentContext(profile, {
  headless: true,
  executablePath: chromiumExecutablePath,
  args: chromiumArgs,
});
try {
  const page = context.pages()[0] ?? (await context.newPage());
  // tsx keeps function names with a helper the page lacks; the code below runs in the page.
  await page.addInitScript({ content: 'globalThis.__name = (f) => f;' });
  await page.goto(`http://127.0.0.1:${port}/`);
  const figures = await page.evaluate(
    async ({ runMs, nodes, packs }) => {
      const open = (name: string): Promise<IDBDatabase> =>
        new Promise((resolve, reject) => {
          const r = indexedDB.open(name, 1);
          r.onupgradeneeded = () => r.result.createObjectStore('s');
          r.onsuccess = () => resolve(r.result);
          r.onerror = () => reject(r.error ?? new Error(`could not open ${name}`));
        });
      const commit = (db: IDBDatabase, puts: Array<[string, unknown]>): Promise<void> =>
        new Promise((resolve, reject) => {
          const tx = db.transaction('s', 'readwrite');
          for (const [key, value] of puts) tx.objectStore('s').put(value, key);
          tx.oncomplete = () => resolve();
          tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
        });
      // About what a client of the seed's workload keeps: ten pages with short contents.
      const state = (n: number) => ({
        pages: Array.from({ length: 10 }, (_, p) => ({ page: `P${p}`, content: `value ${n}`, version: n })),
      });
      const tag = `${Date.now()}`;
      /** Loops, one per writer, each committing `perTx` states per transaction until the time is up. */
      const run = async (dbs: IDBDatabase[], perTx: number) => {
        let states = 0;
        let transactions = 0;
        const end = performance.now() + runMs;
        await Promise.all(
          dbs.map(async (db, w) => {
            while (performance.now() < end) {
              await commit(
                db,
                Array.from({ length: perTx }, (_, k) => [`w${w}n${k}`, state(states)]),
              );
              states += perTx;
              transactions += 1;
            }
          }),
        );
        return { statesPerS: states / (runMs / 1000), transactionsPerS: transactions / (runMs / 1000) };
      };
      const perNode = await run(await Promise.all(Array.from({ length: nodes }, (_, i) => open(`node-${tag}-${i}`))), 1);
      const perPack = await run(await Promise.all(Array.from({ length: packs }, (_, i) => open(`pack-${tag}-${i}`))), nodes / packs);
      const shared = await open(`shared-${tag}`);
      const sharedPacks = await run(
        Array.from({ length: packs }, () => shared),
        nodes / packs,
      );
      return { perNode, perPack, sharedPacks };
    },
    { runMs: RUN_MS, nodes: NODES, packs: PACKS },
  );
  const line = (label: string, f: Figures) =>
    `${label.padEnd(52)} ${Math.round(f.statesPerS).toString().padStart(6)} states/s  ${Math.round(f.transactionsPerS).toString().padStart(6)} transactions/s`;
  console.log(`IndexedDB commits, ${NODES} nodes in ${PACKS} packs, ${RUN_MS / 1000} s each, writers as fast as commits complete:`);
  console.log(line(`a database per node, a transaction per state (hosts)`, figures.perNode));
  console.log(line(`a database per pack, one transaction per pack`, figures.perPack));
  console.log(line(`one shared database, one transaction per pack`, figures.sharedPacks));
  console.log(`per-pack vs per-node: ${(figures.perPack.statesPerS / figures.perNode.statesPerS).toFixed(2)}x`);
} finally {
  await context.close();
  server.close();
  rmSync(profile, { recursive: true, force: true });
}
