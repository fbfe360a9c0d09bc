// The files `npm run experiments` keeps in lab/results/, and how they combine into one report:
//   experiments.json  the last full run (histories in histories/); a step that failed is there
//                     with its error (failed-steps.ts)
//   tab-mode.json     a later run of the tab steps alone; its results replace the full run's
//   run.json          when and where the full run was measured
// The report is lab/README.md: every table, rendered from the three above (markdown.ts) between
// its markers, after the lab's hand-written introduction. A run kept anywhere else (quick and
// partial runs, --out DIR) gets a document of its own beside its files, DIR/README.md.
import type { RenderMeta } from './markdown.ts';
import type { StepResult } from './run-step.ts';

export const FULL_RUN_FILE = 'experiments.json';
export const TAB_RUN_FILE = 'tab-mode.json';
export const RUN_META_FILE = 'run.json';
/** Where full runs keep their files, relative to the repository's root. */
export const RESULTS_DIR = 'lab/results';
/** The report of the run in RESULTS_DIR, relative to the repository's root. */
export const REPORT_FILE = 'lab/README.md';
/** The document of a run kept anywhere else, in its directory. */
export const RESULTS_DOCUMENT_FILE = 'README.md';

const KINDS = new Set<string>(['scenario', 'ping', 'central-store', 'copy-set', 'disk', 'owned-pages', 'tab', 'failed']);

function parse(json: string, file: string): unknown {
  try {
    return JSON.parse(json);
  } catch (e) {
    throw new Error(`${file}: not JSON (${(e as Error).message})`, { cause: e });
  }
}

/** The step results of a results file; throws, naming the file, on anything else. */
export function parseStepResults(json: string, file: string): StepResult[] {
  const v = parse(json, file);
  if (!Array.isArray(v)) throw new Error(`${file}: expected a list of step results`);
  v.forEach((r: unknown, i) => {
    const o = r as { id?: unknown; kind?: unknown; result?: unknown } | null;
    if (
      typeof o !== 'object' ||
      o === null ||
      typeof o.id !== 'string' ||
      typeof o.kind !== 'string' ||
      !KINDS.has(o.kind) ||
      typeof o.result !== 'object' ||
      o.result === null ||
      (o.kind === 'failed' && typeof (o.result as { error?: unknown }).error !== 'string')
    ) {
      throw new Error(`${file}: entry ${i} is not a step result ({ id, kind, result })`);
    }
  });
  return v as StepResult[];
}

export function parseRunMeta(json: string, file: string): RenderMeta {
  const v = parse(json, file) as Partial<RenderMeta> | null;
  if (
    typeof v !== 'object' ||
    v === null ||
    typeof v.date !== 'string' ||
    typeof v.quick !== 'boolean' ||
    (v.machine !== undefined && typeof v.machine !== 'string')
  ) {
    throw new Error(`${file}: expected { date, quick, machine? }`);
  }
  return { date: v.date, quick: v.quick, ...(v.machine === undefined ? {} : { machine: v.machine }) };
}

/**
 * The full run with the tab steps of a later tab-only run in place of its own. A step that failed
 * in the later run replaces the full run's figures too, rather than letting them stand: they were
 * measured on older code, and the report would show them as though the later run had reproduced
 * them.
 */
export function withTabRun(full: readonly StepResult[], tab: readonly StepResult[]): StepResult[] {
  const later = new Set(tab.map((r) => r.id));
  return [...full.filter((r) => !later.has(r.id)), ...tab];
}
