// A sweep over every core: the seed range is cut into one run of consecutive seeds per job, each
// swept by a child process (sweep-child.ts), and their reports added up in seed order, so the
// result is the one a single process would print. Node only: the tests and `npm run sim` use it.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { FaultKind } from './nemesis.ts';
import type { SimOptions } from './run.ts';
import { addReports, type SweepReport } from './sweep.ts';

/** What a child sweeps: faultyShape(seed, faults, extra) for each seed of from..to. */
export interface SweepJob {
  from: number;
  to: number;
  faults: readonly FaultKind[] | 'all';
  extra: Partial<SimOptions>;
}

const CHILD = fileURLToPath(new URL('./sweep-child.ts', import.meta.url));

export async function sweepOnCores(job: SweepJob, jobs = availableParallelism()): Promise<SweepReport> {
  const seeds = job.to - job.from + 1;
  const per = Math.ceil(seeds / Math.max(1, Math.min(jobs, seeds)));
  const parts: SweepJob[] = [];
  for (let from = job.from; from <= job.to; from += per) parts.push({ ...job, from, to: Math.min(job.to, from + per - 1) });
  return addReports(await Promise.all(parts.map(runChild)));
}

function runChild(job: SweepJob): Promise<SweepReport> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CHILD, JSON.stringify(job)], { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) reject(new Error(`sweep of seeds ${job.from}-${job.to} ended with ${code}: ${Buffer.concat(err).toString()}`));
      else resolve(JSON.parse(Buffer.concat(out).toString()) as SweepReport);
    });
  });
}
