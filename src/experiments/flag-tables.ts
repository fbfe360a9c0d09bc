// The flag in the results: runs whose completion, without the failures they explain, is below
// 100 %, first in the report (lab/README.md), so that no table further down has to be read to
// see them; and the marker in completion cells.
import { flagged, flagNote } from './explained.ts';
import { cell, fmtPct, table } from './format.ts';
import type { StepResult } from './run-step.ts';
import type { ScenarioResult } from './types.ts';

/** Scenario and tab steps that are flagged, by step id. */
export function flaggedSteps(results: readonly StepResult[]): Array<{ id: string; result: ScenarioResult }> {
  return results.flatMap((s) => ((s.kind === 'scenario' || s.kind === 'tab') && flagged(s.result) ? [{ id: s.id, result: s.result }] : []));
}

/** "ok/issued (pct)", marked when the run is flagged. */
export function completionCell(r: ScenarioResult): string {
  return `${r.ok}/${r.issued} (${fmtPct(r.completion)})${flagged(r) ? ' **FLAGGED**' : ''}`;
}

export function flagSection(results: readonly StepResult[]): string[] {
  const bad = flaggedSteps(results);
  if (bad.length === 0) return [];
  return [
    `### FLAGGED: ${bad.length} run(s) with failures their scenario does not explain`,
    '',
    'A run explains only: after a client left for good, failures naming it on pages it had issued a write on; ' +
      "failures pending while no CM ran; and, under the seed's periodic replication, any after a CM failed. " +
      'Every other failure counts against completion.',
    '',
    table(
      ['step', 'ok / issued', 'explained failures', 'completion without them', 'unexplained failures', 'on pages', 'most frequent reasons'],
      bad.map(({ id, result: r }) => [
        id,
        `${r.ok}/${r.issued} (${fmtPct(r.completion)})`,
        String(r.expectedFailures ?? '–'),
        r.completionExceptExpected === undefined ? '–' : fmtPct(r.completionExceptExpected),
        String(r.unexplained?.count ?? r.issued - r.ok),
        r.unexplained?.pages.join(', ') ?? '–',
        r.unexplained ? cell(r.unexplained.errors.map((e) => `${e.count}× ${e.error}`).join('; ')) : cell(flagNote(r)),
      ]),
    ),
    '',
  ];
}
