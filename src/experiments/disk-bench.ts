// The disk step of `npm run experiments`: the figures of disk-bench.worker.ts, from a dedicated
// worker of the experiments page (a persistent profile on disk, as the runner opens it).
import * as Comlink from 'comlink';
import type { DiskBenchApi, DiskFigure } from './disk-bench.worker.ts';

export interface DiskBenchConfig {
  runMs: number;
  rounds: number;
}

export interface DiskBenchResult {
  config: DiskBenchConfig;
  figures: DiskFigure[];
}

export async function runDiskBench(config: DiskBenchConfig): Promise<DiskBenchResult> {
  const worker = new Worker(new URL('./disk-bench.worker.ts', import.meta.url), { type: 'module', name: 'disk-bench' });
  try {
    const api = Comlink.wrap<DiskBenchApi>(worker);
    return { config, figures: await api.run(config.runMs, config.rounds) };
  } finally {
    worker.terminate();
  }
}
