// The report of a results directory, from its JSON files: what `npm run experiments -- --render`
// does, and what a run does once its files are written. The run kept in lab/results/ is shown in
// lab/README.md, between its markers (the lab's introduction above them is written by hand); a run
// kept anywhere else gets a document of its own beside its files, DIR/README.md. Nothing else is
// written: the repository's README quotes a few figures by hand and links to the report.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { renderResults, replaceResultsSection, resultsDocument } from '../src/experiments/markdown.ts';
import {
  FULL_RUN_FILE,
  parseRunMeta,
  parseStepResults,
  REPORT_FILE,
  RESULTS_DIR,
  RESULTS_DOCUMENT_FILE,
  RUN_META_FILE,
  TAB_RUN_FILE,
  withTabRun,
} from '../src/experiments/results-files.ts';

/** Whether `dir` is lab/results/, the directory whose run lab/README.md shows. */
export function isResultsDir(dir: string): boolean {
  return resolve(dir) === resolve(RESULTS_DIR);
}

/**
 * Renders the run in `dir` into `report` (a file with the results markers) or, with no report,
 * into DIR/README.md. Returns the file written.
 */
export function renderReport(dir: string, report: string | null = isResultsDir(dir) ? REPORT_FILE : null): string {
  const read = (file: string): string => readFileSync(join(dir, file), 'utf8');
  const full = parseStepResults(read(FULL_RUN_FILE), join(dir, FULL_RUN_FILE));
  const tab = existsSync(join(dir, TAB_RUN_FILE)) ? parseStepResults(read(TAB_RUN_FILE), join(dir, TAB_RUN_FILE)) : [];
  const meta = parseRunMeta(read(RUN_META_FILE), join(dir, RUN_META_FILE));
  const results = withTabRun(full, tab);
  if (report === null) {
    const file = join(dir, RESULTS_DOCUMENT_FILE);
    writeFileSync(file, resultsDocument(results, meta));
    return file;
  }
  writeFileSync(report, replaceResultsSection(readFileSync(report, 'utf8'), renderResults(results, meta)));
  return report;
}
