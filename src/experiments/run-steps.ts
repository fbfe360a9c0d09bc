// The loop of `npm run experiments`: every step in order, one at a time. A full run takes many
// minutes, so a step that throws or never settles costs its own figures only: it is recorded in
// their place with its error (failed-steps.ts) and the run goes on. The run still ends non-zero,
// but only once every result is written, so that CI notices and nothing measured is lost.
import { withDeadline } from '../util/deadline.ts';
import { describeError } from '../util/errors.ts';
import { failedStep, failedSteps } from './failed-steps.ts';
import { flaggedSteps } from './flag-tables.ts';
import { summaryLine } from './markdown.ts';
import type { StepResult } from './run-step.ts';
import type { Step } from './suite.ts';

export interface StepLoop {
  /** One step, in the experiments page or (tab steps) from Node. */
  run(step: Step): Promise<StepResult>;
  /** A step still unsettled after this long counts as failed. */
  limitMs: number;
  /**
   * After a failed step, before the next: a step abandoned at its time limit is still running, and
   * one that threw may have left workers behind; both would weigh on the next step's figures.
   */
  afterFailure?(step: Step): Promise<void>;
  log(line: string): void;
  now?(): number;
}

export async function runSteps(steps: readonly Step[], loop: StepLoop): Promise<StepResult[]> {
  const now = loop.now ?? Date.now;
  const results: StepResult[] = [];
  for (const [i, step] of steps.entries()) {
    loop.log(`step ${i + 1}/${steps.length}: ${step.id}`);
    const startedAt = now();
    let r: StepResult;
    try {
      r = await withDeadline(loop.run(step), loop.limitMs, `step ${step.id}`);
    } catch (e) {
      r = failedStep(step, e, startedAt, now());
    }
    loop.log(`  ${summaryLine(r)}`);
    results.push(r);
    if (r.kind !== 'failed' || !loop.afterFailure) continue;
    try {
      await loop.afterFailure(step);
    } catch (e) {
      // The steps after it are still tried: each that cannot run is recorded as failed in turn.
      loop.log(`  after ${step.id} failed, could not clear what it left: ${describeError(e)}`);
    }
  }
  return results;
}

/** Non-zero when a step failed, or a run has failures its scenario does not explain. */
export function runExitCode(results: readonly StepResult[]): 0 | 1 {
  return failedSteps(results).length > 0 || flaggedSteps(results).length > 0 ? 1 : 0;
}
