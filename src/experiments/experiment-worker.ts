// What an experiment's node worker exposes: the dashboard's node worker plus runWorkload, which
// runs a client's operations inside its own worker so the page-to-worker hop (Comlink) stays out
// of the latencies, and leaveHolding, which must check and stop on the node's own thread.
import type { OpRequest } from '../protocol/client.ts';
import { createWorkerApi, type NodeWorkerApi, type ThreadContext } from '../workers/worker-api.ts';
import { leaveHolding, type LeavePlan, type LeaveReport } from './leave.ts';
import { runOps, type WorkloadPlan, type WorkloadReport } from './workload-runner.ts';
import type { PageRule } from './page-layout.ts';
import { runOwnedPages, type OwnedPagesPlan, type OwnedPagesReport } from './owned-pages-run.ts';

export interface ExperimentWorkerApi extends NodeWorkerApi {
  /** Runs the plan's operations here, one at a time, timed on the shared clock. */
  runWorkload(plan: WorkloadPlan): Promise<WorkloadReport>;
  /** A client that leaves for good, holding a page and a copy when it stops. */
  leaveHolding(plan: LeavePlan): Promise<LeaveReport>;
  /** Changes the pages the running workload may read and write (page-layout.ts). */
  setPageRule(rule: PageRule): void;
  /** Takes pages, then times write hits on them (owned-pages.ts). */
  ownedPages(plan: OwnedPagesPlan): Promise<OwnedPagesReport>;
}

/** `thread`: what the node shares with the others of its thread, in packed placement. */
export function createExperimentWorkerApi(thread: ThreadContext = {}): ExperimentWorkerApi {
  const api = createWorkerApi(thread);
  const submit = (op: OpRequest) => (op.kind === 'read' ? api.readPage(op.page) : api.writePage(op.page, op.value));
  let rule: PageRule = null;
  return {
    ...api,
    async runWorkload(plan) {
      rule = plan.rule ?? null;
      const ops = await runOps(submit, plan, () => rule);
      return { node: api.snapshot().snapshot.id, ops, messagesSent: api.messagesSent() };
    },
    setPageRule(r) {
      rule = r;
    },
    ownedPages: (plan) => runOwnedPages(submit, plan),
    leaveHolding: (plan) => leaveHolding({ submit, snapshot: api.snapshot, stop: () => void api.stop() }, plan),
  };
}
