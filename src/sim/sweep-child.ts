// One job of sweep-pool.ts: sweeps the seeds its argument names and prints the report as JSON.
import { faultyShape, sweep } from './sweep.ts';
import type { SweepJob } from './sweep-pool.ts';

const job = JSON.parse(process.argv[2] ?? '') as SweepJob;
process.stdout.write(JSON.stringify(sweep(job.from, job.to, (seed) => faultyShape(seed, job.faults, job.extra))));
