// Number formats for the results tables and console lines.
import type { LatencySummary, ScenarioResult } from './types.ts';

export function verdict(r: Pick<ScenarioResult, 'linearizable' | 'checkerUndecided'>): string {
  return r.linearizable ? 'linearizable' : r.checkerUndecided ? 'undecided (checker search limit)' : 'NOT linearizable';
}

/** Text safe inside a Markdown table cell. */
export const cell = (text: string): string => text.replace(/\s+/g, ' ').replace(/\|/g, '\\|');

export const fmtMs = (x: number | null | undefined): string => (x === null || x === undefined ? '–' : x < 10 ? x.toFixed(2) : x.toFixed(0));
export const fmtPct = (x: number): string => `${(x * 100).toFixed(x === 1 ? 0 : 2)}%`;
export const fmtRate = (x: number): string => x.toFixed(0);
export const latencyCell = (l: LatencySummary): string =>
  l.count === 0 ? '–' : `${fmtMs(l.p50Ms)} / ${fmtMs(l.p99Ms)} / ${fmtMs(l.maxMs)}`;

export function table(head: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}
