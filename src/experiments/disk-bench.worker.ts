// The disk benchmark's worker (disk-bench.ts): what a commit costs on this machine's disk, in
// the shapes the hosts could write it, each against the others in the same run: a raw OPFS
// write (and write + flush), the log writer's whole commit (record, checksum, write, the write
// window's task), six nodes of a pack sharing one window, and an IndexedDB transaction per
// commit (the fallback, and what the hosts wrote before the log).
import * as Comlink from 'comlink';
import { LogWriter } from '../disk/log-writer.ts';
import { OpfsVolume } from '../disk/opfs-volume.ts';
import { browserWindows } from '../disk/schedule.ts';
import type { Durability } from '../protocol/config.ts';
import type { DurableEntry } from '../protocol/durable.ts';

export interface DiskFigure {
  shape: string;
  /** Records made durable per second, and the wall time each cost. */
  recordsPerS: number;
  usPerRecord: number;
}

/** About a client's commit of one small page. */
const entry = (n: number): DurableEntry => ({
  kind: 'page',
  page: `P${n % 10}`,
  owned: { content: `value ${n} `.padEnd(120, '.'), version: n, access: 'write' },
});

function timed(shape: string, records: number, ms: number): DiskFigure {
  return { shape, recordsPerS: Math.round((records / ms) * 1000), usPerRecord: Math.round((ms / records) * 1000 * 10) / 10 };
}

async function rawOpfs(volume: OpfsVolume, name: string, flush: boolean, runMs: number): Promise<DiskFigure> {
  const file = await new Promise<Parameters<Parameters<OpfsVolume['create']>[1]>[1]>((resolve, reject) =>
    volume.create(name, (e, f) => (e ? reject(e) : resolve(f))),
  );
  if (!file) throw new Error('no file');
  const bytes = new TextEncoder().encode(JSON.stringify(entry(1)).padEnd(200, ' '));
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < runMs) {
    file.append(bytes, flush, () => {});
    n++;
  }
  const ms = performance.now() - start;
  file.close();
  volume.remove(name);
  return timed(flush ? 'OPFS write + flush, 200 B' : 'OPFS write, 200 B', n, ms);
}

async function logCommits(volume: OpfsVolume, durability: Durability, nodes: number, runMs: number): Promise<DiskFigure> {
  const writer = new LogWriter(volume, { writer: `bench${nodes}${durability}`, durability, windows: browserWindows() });
  const disks = Array.from({ length: nodes }, (_, i) => writer.attach(`c${i + 1}`, 0, () => [entry(0)]));
  let records = 0;
  const start = performance.now();
  // Each round: every node commits once, in one window; the next round starts when all are durable.
  while (performance.now() - start < runMs) {
    await Promise.all(
      disks.map((d, i) => new Promise<void>((resolve, reject) => d.commit([entry(records + i)], (e) => (e ? reject(e) : resolve())))),
    );
    records += nodes;
  }
  const ms = performance.now() - start;
  writer.close();
  const label = nodes === 1 ? `log commit, one node (${durability})` : `log commit, ${nodes} nodes of a pack in one window (${durability})`;
  return timed(label, records, ms);
}

async function idbCommits(durability: 'default' | 'strict', runMs: number): Promise<DiskFigure> {
  const name = `ivy-disk-bench-${durability}-${Date.now()}`;
  const db = await new Promise<IDBDatabase>((resolve, reject) => {
    const r = indexedDB.open(name, 1);
    r.onupgradeneeded = () => r.result.createObjectStore('entries');
    r.onsuccess = () => resolve(r.result);
    r.onerror = () => reject(r.error ?? new Error('open failed'));
  });
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < runMs) {
    await new Promise<void>((resolve, reject) => {
      const tx = db.transaction('entries', 'readwrite', { durability });
      tx.objectStore('entries').put(entry(n), `page P${n % 10}`);
      tx.oncomplete = () => resolve();
      tx.onerror = () => reject(tx.error ?? new Error('transaction failed'));
    });
    n++;
  }
  const ms = performance.now() - start;
  db.close();
  indexedDB.deleteDatabase(name);
  return timed(`IndexedDB transaction per commit (${durability})`, n, ms);
}

const api = {
  /** Every shape for `runMs` each, `rounds` times interleaved; each figure the median of its rounds. */
  async run(runMs: number, rounds: number): Promise<DiskFigure[]> {
    const volume = await OpfsVolume.open(`ivy-disk-bench-${Date.now()}`);
    const shapes: Array<() => Promise<DiskFigure>> = [
      () => rawOpfs(volume, 'raw-w', false, runMs),
      () => rawOpfs(volume, 'raw-wf', true, runMs),
      () => logCommits(volume, 'process', 1, runMs),
      () => logCommits(volume, 'disk', 1, runMs),
      () => logCommits(volume, 'process', 6, runMs),
      () => logCommits(volume, 'disk', 6, runMs),
      () => idbCommits('default', runMs),
      () => idbCommits('strict', runMs),
    ];
    const seen: DiskFigure[][] = shapes.map(() => []);
    for (let r = 0; r < rounds; r++) for (const [i, f] of shapes.entries()) seen[i]!.push(await f());
    return seen.map((figs) => {
      const sorted = [...figs].sort((a, b) => a.recordsPerS - b.recordsPerS);
      return sorted[Math.floor(sorted.length / 2)]!;
    });
  },
};

export type DiskBenchApi = typeof api;
Comlink.expose(api);
