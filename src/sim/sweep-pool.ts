// A sweep over every core: one child process per job (sweep-child.ts), each handed the next
// seed as soon as it is done with its last, and the one-seed reports added up in seed order, so
// the result is the one a single process would print. Seeds differ several times over in cost,
// so halves cut in advance left one core idle while the other finished. A pool outlives a sweep:
// the tests and `npm run sim -- --sweep` run every slice on one, so each child starts (and warms
// up) once. Node only.
import { fork, type ChildProcess } from 'node:child_process';
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

class Child {
  private readonly process: ChildProcess;
  private readonly stderr: Buffer[] = [];
  private waiting: { resolve: (r: SweepReport) => void; reject: (e: Error) => void } | null = null;
  private ended: Error | null = null;

  constructor() {
    this.process = fork(CHILD, [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'pipe', 'ipc'] });
    this.process.stderr!.on('data', (b: Buffer) => this.stderr.push(b));
    this.process.on('message', (r) => {
      const w = this.waiting;
      this.waiting = null;
      w?.resolve(r as SweepReport);
    });
    this.process.on('error', (e) => this.end(e));
    this.process.on('exit', (code, signal) =>
      this.end(new Error(`a sweep child ended with ${code ?? signal}: ${Buffer.concat(this.stderr).toString()}`)),
    );
  }

  sweep(job: SweepJob): Promise<SweepReport> {
    if (this.ended) return Promise.reject(this.ended);
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.process.send(job);
    });
  }

  close(): void {
    this.ended ??= new Error('the sweep pool was closed');
    if (this.process.connected) this.process.disconnect();
  }

  private end(e: Error): void {
    this.ended ??= e;
    const w = this.waiting;
    this.waiting = null;
    w?.reject(e);
  }
}

export class SweepPool {
  private readonly children: Child[];

  constructor(jobs = availableParallelism()) {
    this.children = Array.from({ length: Math.max(1, jobs) }, () => new Child());
  }

  get jobs(): number {
    return this.children.length;
  }

  async sweep(job: SweepJob): Promise<SweepReport> {
    const reports: SweepReport[] = [];
    let next = job.from;
    const work = async (child: Child): Promise<void> => {
      for (let seed = next++; seed <= job.to; seed = next++) reports[seed - job.from] = await child.sweep({ ...job, from: seed, to: seed });
    };
    await Promise.all(this.children.map(work));
    return addReports(reports);
  }

  close(): void {
    for (const c of this.children) c.close();
  }
}
