// What an experiment's node worker exposes: the dashboard's node worker plus runWorkload, which
// runs a client's operations inside its own worker so the page-to-worker hop (Comlink) stays out
// of the latencies.
import type { OpRequest } from '../protocol/client.ts';
import { createWorkerApi, type NodeWorkerApi } from '../workers/worker-api.ts';
import { runOps, type WorkloadPlan, type WorkloadReport } from './workload-runner.ts';

export interface ExperimentWorkerApi extends NodeWorkerApi {
  /** Runs the plan's operations here, one at a time, timed on the shared clock. */
  runWorkload(plan: WorkloadPlan): Promise<WorkloadReport>;
}

export function createExperimentWorkerApi(): ExperimentWorkerApi {
  const api = createWorkerApi();
  const submit = (op: OpRequest) => (op.kind === 'read' ? api.readPage(op.page) : api.writePage(op.page, op.value));
  return {
    ...api,
    async runWorkload(plan) {
      const ops = await runOps(submit, plan);
      return { node: api.snapshot().snapshot.id, ops, messagesSent: api.messagesSent() };
    },
  };
}
