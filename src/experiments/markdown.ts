// Results as Markdown: every table of a run, for the lab's report (lab/README.md, between its
// markers) or a document of its own for runs kept elsewhere, and one-line summaries for the
// console. Pure functions of the results: every figure printed here was measured in the run.
import type { StepResult } from './run-step.ts';
import { fmtMs, fmtPct, fmtRate, verdict } from './format.ts';
import type { ScenarioResult } from './types.ts';
import { targetsTable } from './targets.ts';
import { flagged, flagNote } from './explained.ts';
import { flagSection } from './flag-tables.ts';
import { failedSection, failureLine } from './failed-steps.ts';
import { detailSections } from './markdown-tables.ts';

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

const measuredBy = (meta: RenderMeta): string =>
  `Measured by \`npm run experiments\`${meta.quick ? ' --quick' : ''} on ${meta.date}` +
  `${meta.machine ? ` (${meta.machine})` : ''}: real Web Worker nodes in headless Chromium, every latency timed ` +
  'inside the client worker that issued the operation. Latencies in ms as p50 / p99 / max; ratios compare p50s. ' +
  'Nodes that keep state commit to their logs at `process` durability, except in the steps named `-disk` (at `disk`); ' +
  'the `-nopersist` and `basic` steps keep nothing.';

/**
 * Every table of a run. `raw` is where its JSON files are, relative to the document that shows
 * it: `results/` from lab/README.md, nothing from a document beside them.
 */
export function renderResults(results: readonly StepResult[], meta: RenderMeta, raw = 'results/'): string {
  const lines = [
    `${measuredBy(meta)} Raw figures: \`${raw}experiments.json\`; recorded histories (JSON Lines, gzip; one over ` +
      `256 KB keeps only the pages the checker flagged): \`${raw}histories/\`.`,
    '',
    ...failedSection(results),
    ...flagSection(results),
    targetsTable(results),
    '',
    ...detailSections(results),
  ];
  return lines.join('\n');
}

/** A run kept outside lab/results/ (quick and partial runs, --out): a document beside its JSON files. */
export function resultsDocument(results: readonly StepResult[], meta: RenderMeta): string {
  return [
    '# ivy-web test results',
    '',
    'Written by `npm run experiments` (`-- --render --out DIR` rewrites it from the JSON files beside it without running anything).',
    '',
    renderResults(results, meta, ''),
    '',
  ].join('\n');
}

/** Replaces what lies between the markers; the markers must be there. */
export function replaceResultsSection(readme: string, markdown: string): string {
  const start = readme.indexOf(RESULTS_START);
  const end = readme.indexOf(RESULTS_END);
  if (start < 0 || end < start) throw new Error(`no ${RESULTS_START} … ${RESULTS_END} section to replace`);
  return `${readme.slice(0, start + RESULTS_START.length)}\n${markdown.trim()}\n${readme.slice(end)}`;
}
