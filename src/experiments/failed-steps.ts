// Steps that failed: the record the run keeps in place of their figures, and the report's section
// on them. Without it a failed step was only a console line: the tables went on without its rows,
// and a target that needed them read "not measured" as though it had never been in the suite.
import { describeError } from '../util/errors.ts';
import { cell, table } from './format.ts';
import type { StepResult } from './run-step.ts';
import type { Step } from './suite.ts';
import type { StepFailure } from './types.ts';

export type FailedStep = Extract<StepResult, { kind: 'failed' }>;

/** Error text kept in a table cell; the results file keeps all of it. */
const SHOWN_ERROR_CHARS = 300;

export function failedStep(step: Step, e: unknown, startedAt: number, failedAt: number): FailedStep {
  return {
    id: step.id,
    kind: 'failed',
    result: { step: step.kind, error: describeError(e), at: new Date(failedAt).toISOString(), afterMs: failedAt - startedAt },
  };
}

export function failedSteps(results: readonly StepResult[]): FailedStep[] {
  return results.filter((r): r is FailedStep => r.kind === 'failed');
}

/** The first line only: errors from the page carry its stack below. */
export function failureLine(f: StepFailure): string {
  const first = f.error.split('\n')[0] ?? '';
  return first.length > SHOWN_ERROR_CHARS ? `${first.slice(0, SHOWN_ERROR_CHARS)}…` : first;
}

/** First in the report, as the flagged runs are: no table further down shows what is missing. */
export function failedSection(results: readonly StepResult[]): string[] {
  const failed = failedSteps(results);
  if (failed.length === 0) return [];
  return [
    `### FAILED: ${failed.length} step(s) did not finish`,
    '',
    'Each threw or ran out of time; the run recorded the error and went on. Their figures are in no table below, ' +
      'and the targets are judged on the steps that finished.',
    '',
    table(
      ['step', 'kind', 'failed at (UTC)', 'after', 'error'],
      failed.map(({ id, result: f }) => [id, f.step, f.at, `${(f.afterMs / 1000).toFixed(1)} s`, `failed: ${cell(failureLine(f))}`]),
    ),
    '',
  ];
}
