// Results as Markdown: every table for lab/results/README.md, the targets alone for the README's
// "Test results" section, and one-line summaries for the console. Pure functions of the results:
// every figure printed here was measured in the run.
import type { StepResult } from './run-step.ts';
import { fmtMs, fmtPct, fmtRate, verdict } from './format.ts';
import type { ScenarioResult } from './types.ts';
import { targetsTable } from './targets.ts';
import { flagged, flagNote } from './explained.ts';
import { flagSection } from './flag-tables.ts';
import { failedSection, failureLine } from './failed-steps.ts';
import { detailSections, durabilityTable } from './markdown-tables.ts';

export const RESULTS_START = '<!-- results:start -->';
export const RESULTS_END = '<!-- results:end -->';

export function scenarioLine(r: ScenarioResult): string {
  const unavailable = r.faults
    .filter((f) => f.unavailableMs !== undefined)
    .map((f) => fmtMs(f.unavailableMs))
    .join(', ');
  return (
    `${r.ok}/${r.issued} ok (${fmtPct(r.completion)}), ${fmtRate(r.throughputOpsPerS)} ops/s, ` +
    `fault p50 ${fmtMs(r.faultLatency.p50Ms)} ms, ${r.messagesPerOpTotal.toFixed(2)} msgs/op, ` +
    `${verdict(r)}${unavailable ? `, unavailable ms: ${unavailable}` : ''}` +
    (r.expectedFailures ? `; ${r.expectedFailures} failures explained, ${fmtPct(r.completionExceptExpected ?? 0)} without them` : '') +
    (flagged(r) ? ` — ${flagNote(r)}` : '')
  );
}

export function summaryLine(s: StepResult): string {
  switch (s.kind) {
    case 'scenario':
      return scenarioLine(s.result);
    case 'tab':
      return scenarioLine(s.result).replace(/, [\d.]+ msgs\/op/, ''); // not counted across tabs
    case 'ping':
      return (
        `ping round trip p50 ${fmtMs(s.result.rtt.p50Ms)} ms, p99 ${fmtMs(s.result.rtt.p99Ms)} ms; ` +
        `after 5 ms idle p50 ${fmtMs(s.result.spacedRtt.p50Ms)} ms`
      );
    case 'central-store':
      return (
        `${s.result.ok}/${s.result.issued} ok, ${fmtRate(s.result.throughputOpsPerS)} ops/s, ` +
        `read p50 ${fmtMs(s.result.read.p50Ms)} ms, write p50 ${fmtMs(s.result.write.p50Ms)} ms`
      );
    case 'copy-set':
      return s.result.points.map((p) => `${p.readers}: ${fmtMs(p.writeFault.p50Ms)} ms`).join(', ');
    case 'disk':
      return s.result.figures.map((f) => `${f.shape}: ${fmtRate(f.recordsPerS)}/s`).join('; ');
    case 'owned-pages':
      return (
        s.result.points.map((p) => `${p.owned} owned: write hit ${fmtMs(p.writeHit.p50Ms)} ms`).join(', ') +
        `; ${s.result.recoveredPages} pages recovered in ${fmtMs(s.result.recoveryMs)} ms, first read ${fmtMs(s.result.backMs)} ms after the restart`
      );
    case 'failed':
      return `FAILED after ${(s.result.afterMs / 1000).toFixed(1)} s: ${failureLine(s.result)}`;
  }
}

export interface RenderMeta {
  quick: boolean;
  date: string;
  /** Where it ran, e.g. "2 cores, Chromium 140, cross-origin isolated". */
  machine?: string;
}

/** Where the full tables go, relative to the repository's root. */
export const RESULTS_DOCUMENT = 'lab/results/README.md';

const measuredBy = (meta: RenderMeta): string =>
  `Measured by \`npm run experiments\`${meta.quick ? ' --quick' : ''} on ${meta.date}` +
  `${meta.machine ? ` (${meta.machine})` : ''}: real Web Worker nodes in headless Chromium, every latency timed ` +
  'inside the client worker that issued the operation. Latencies in ms as p50 / p99 / max; ratios compare p50s. ' +
  'Nodes that keep state commit to their logs at `process` durability, except in the steps named `-disk` (at `disk`); ' +
  'the `-nopersist` and `basic` steps keep nothing.';

/** Every table of a run: the body of lab/results/README.md. */
export function renderResults(results: readonly StepResult[], meta: RenderMeta): string {
  const lines = [
    `${measuredBy(meta)} Raw figures: \`lab/results/experiments.json\`; recorded histories (JSON Lines, gzip; one over ` +
      '256 KB keeps only the pages the checker flagged): `lab/results/histories/`.',
    '',
    ...failedSection(results),
    ...flagSection(results),
    targetsTable(results),
    '',
    ...detailSections(results),
  ];
  return lines.join('\n');
}

/** lab/results/README.md: a title, how it is made, then every table. */
export function resultsDocument(results: readonly StepResult[], meta: RenderMeta): string {
  return [
    '# ivy-web test results',
    '',
    'Written by `npm run experiments` (`-- --render` rewrites it from the JSON files beside it without running anything). ' +
      "The repository's README shows the benchmark targets only.",
    '',
    renderResults(results, meta),
    '',
  ].join('\n');
}

/** The README's "Test results" section: how it was measured, the targets, and where the rest is. */
export function renderSummary(results: readonly StepResult[], meta: RenderMeta): string {
  return [
    measuredBy(meta),
    '',
    ...failedSection(results),
    ...flagSection(results),
    targetsTable(results),
    '',
    ...durabilityTable(results),
    '',
    `Every table of the run (scenarios, messages per operation by type, faults and unavailability, baselines, sweeps, ` +
      `tab mode) is in [${RESULTS_DOCUMENT}](${RESULTS_DOCUMENT}), the raw figures in \`lab/results/*.json\`.`,
  ].join('\n');
}

/** Replaces what lies between the markers; the markers must be there. */
export function replaceResultsSection(readme: string, markdown: string): string {
  const start = readme.indexOf(RESULTS_START);
  const end = readme.indexOf(RESULTS_END);
  if (start < 0 || end < start) throw new Error(`README.md has no ${RESULTS_START} … ${RESULTS_END} section`);
  return `${readme.slice(0, start + RESULTS_START.length)}\n${markdown.trim()}\n${readme.slice(end)}`;
}
