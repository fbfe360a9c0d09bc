// The worker's half of owned-pages.ts: it takes the pages and times the hits where the client
// runs, so that no page's value crosses to the page.
import type { OpRequest } from '../protocol/client.ts';
import type { OpResult } from '../protocol/node.ts';
import { pageName } from '../sim/workload.ts';
import { Rng } from '../sim/rng.ts';
import { commonNow } from '../host/env.ts';

/** What one client's worker does at one point: take pages P<first>..P<last>, then write hits. */
export interface OwnedPagesPlan {
  first: number;
  last: number;
  bytes: number;
  hits: number;
  seed: number;
}

export interface OwnedPagesReport {
  /** Each timed hit, in ms. */
  hitMs: number[];
  /** Hits served through the CM (the page was not there with write access): should be none. */
  notLocal: number;
  failures: number;
}

function content(n: number, bytes: number): string {
  const head = `${n}:`;
  return head + 'x'.repeat(Math.max(0, bytes - head.length));
}

/** Runs in the client's worker (experiment-worker.ts): no values cross to the page. */
export async function runOwnedPages(submit: (op: OpRequest) => Promise<OpResult>, plan: OwnedPagesPlan): Promise<OwnedPagesReport> {
  const out: OwnedPagesReport = { hitMs: [], notLocal: 0, failures: 0 };
  for (let p = plan.first; p <= plan.last; p++) {
    const r = await submit({ kind: 'write', page: pageName(p), value: content(p, plan.bytes) });
    if (!r.ok) out.failures += 1;
  }
  const rng = new Rng(plan.seed);
  // The first point runs its hits once untimed: what is timed is the hit, not the compiler warming up.
  if (plan.first === 1)
    for (let h = 0; h < plan.hits; h++)
      await submit({ kind: 'write', page: pageName(1 + rng.int(plan.last)), value: content(h, plan.bytes) });
  for (let h = 0; h < plan.hits; h++) {
    const page = pageName(1 + rng.int(plan.last));
    const op: OpRequest = { kind: 'write', page, value: content(h, plan.bytes) };
    const at = commonNow();
    const r = await submit(op);
    out.hitMs.push(commonNow() - at);
    if (!r.ok) out.failures += 1;
    else if (!r.local) out.notLocal += 1;
  }
  return out;
}
