// A child of sweep-pool.ts: sweeps each job it is sent and sends the report back, until its
// parent lets go of it.
import { faultyShape, sweep } from './sweep.ts';
import type { SweepJob } from './sweep-pool.ts';

process.on('message', (job: SweepJob) => {
  process.send!(sweep(job.from, job.to, (seed) => faultyShape(seed, job.faults, job.extra)));
});
process.on('disconnect', () => process.exit(0));
