// npm run experiments [-- --quick] [--only id,id] [--placement packed|worker-per-node] [--profile DIR] [--out DIR] [--no-build] | [-- --render]
// Runs every experiment of src/experiments/suite.ts in headless Chromium, one step at a time,
// printing progress; writes the results as JSON and the recorded histories as JSON Lines. A step
// that throws or runs too long is recorded with its error and the run goes on (src/experiments/
// run-steps.ts); once everything is written the run exits non-zero, naming it. A full run into
// lab/results/ then rewrites the report, the generated part of lab/README.md (report.ts). Tab
// steps (one tab per node, lab/experiments-tab.ts) run from here in the same browser; run alone,
// they write lab/results/tab-mode.json, which replaces the full run's tab rows. --placement runs the chosen scenarios in that placement instead (`-packed` added to their
// ids, as the suite's own packed steps are named). Quick runs and other partial ones go to a
// temporary directory unless --out says where. --profile samples every worker's CPU during each
// step (lab/experiments-profile.ts): profiles into DIR, the heaviest functions printed.
// --render runs nothing: it rewrites the report from the JSON files in lab/results/ (or in --out DIR,
// into DIR/README.md).
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { ExperimentsApi } from '../src/experiments/page.ts';
import type { StepResult } from '../src/experiments/run-step.ts';
import { inPlacement, suite, type Step } from '../src/experiments/suite.ts';
import { isPlacement, PLACEMENTS, type Placement } from '../src/workers/placement.ts';
import type { Progress, ScenarioResult } from '../src/experiments/types.ts';
import type { HistoryEvent } from '../src/check/history.ts';
import { resultsDocument, type RenderMeta } from '../src/experiments/markdown.ts';
import { FULL_RUN_FILE, RESULTS_DIR, RESULTS_DOCUMENT_FILE, RUN_META_FILE, TAB_RUN_FILE } from '../src/experiments/results-files.ts';
import { toJsonLine } from '../src/check/history.ts';
import { flagNote } from '../src/experiments/explained.ts';
import { flaggedSteps } from '../src/experiments/flag-tables.ts';
import { failedSteps } from '../src/experiments/failed-steps.ts';
import { runExitCode, runSteps } from '../src/experiments/run-steps.ts';
import { describeError } from '../src/util/errors.ts';
import { openExperimentsPage } from './experiments-browser.ts';
import { runTabScenario } from './experiments-tab.ts';
import { profileWorkers } from './experiments-profile.ts';
import { isResultsDir, renderReport } from './report.ts';

interface Options {
  quick: boolean;
  only: string[] | null;
  placement: Placement | null;
  profile: string | null;
  out: string | null;
  build: boolean;
  render: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      quick: { type: 'boolean' },
      only: { type: 'string' },
      placement: { type: 'string' },
      profile: { type: 'string' },
      out: { type: 'string' },
      'no-build': { type: 'boolean' },
      render: { type: 'boolean' },
    },
  });
  const placement = values.placement ?? null;
  if (placement !== null && !isPlacement(placement)) throw new Error(`--placement must be one of ${PLACEMENTS.join(', ')}`);
  return {
    quick: values.quick === true,
    only: values.only ? values.only.split(',') : null,
    placement,
    profile: values.profile ?? null,
    out: values.out ?? null,
    build: values['no-build'] !== true,
    render: values.render === true,
  };
}

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Compressed histories beyond this keep only the pages the checker flagged, or are left out. */
const HISTORY_GZ_MAX_BYTES = 256 * 1024;

function compressHistory(r: ScenarioResult, history: HistoryEvent[]): { gz: Buffer; note?: string } {
  const gz = gzipSync(history.map(toJsonLine).join('\n') + '\n');
  if (gz.length <= HISTORY_GZ_MAX_BYTES) return { gz };
  const keys = new Set(r.uncheckedKeys);
  const kept = history.filter((e) => e.process === 'nemesis' || keys.has(e.key ?? ''));
  const note =
    `${history.length} events (${Math.round(gz.length / 1024)} KB compressed); kept the faults and ` +
    `${keys.size === 0 ? 'no page' : `the flagged page(s) ${[...keys].join(', ')}`} only`;
  return { gz: gzipSync(kept.map(toJsonLine).join('\n') + '\n'), note };
}

/** Histories go to their own files (gzip: they are long and repetitive); the JSON keeps the figures. */
function writeResults(dir: string, results: StepResult[], file = 'experiments.json'): void {
  mkdirSync(join(dir, 'histories'), { recursive: true });
  const slim = results.map((r) => {
    if ((r.kind !== 'scenario' && r.kind !== 'tab') || !r.result.history) return r;
    const { history, ...rest } = r.result;
    const file = join('histories', `${r.id}.jsonl.gz`);
    const { gz, note } = compressHistory(r.result, history);
    writeFileSync(join(dir, file), gz);
    return { ...r, result: { ...rest, historyFile: file, ...(note ? { historyNote: note } : {}) } };
  });
  writeFileSync(join(dir, file), JSON.stringify(slim, null, 1) + '\n');
}

/**
 * Longest a step may run before it is recorded as failed and the run goes on. Far beyond any
 * step's own deadline (the largest sweep point's is about 4 minutes: 10 ms an operation and a
 * minute's slack, run-scenario.ts), so that it ends only a step that would never settle.
 */
const STEP_LIMIT_MS = 15 * 60_000;

async function runAll(steps: Step[], opts: Options): Promise<{ results: StepResult[]; machine: string }> {
  const browser = await openExperimentsPage(log, !opts.build);
  try {
    await browser.page.exposeFunction('ivyProgress', ((p) => log(`  ${p.step}`)) satisfies Progress);
    // The profiles must be taken before a scenario's workers end: the page awaits this there.
    let stopProfiler: (() => Promise<void>) | null = null;
    if (opts.profile !== null) {
      await browser.page.exposeFunction('ivyBeforeTeardown', async () => {
        const stop = stopProfiler;
        stopProfiler = null;
        await stop?.();
      });
    }
    const isolated = await browser.page.evaluate(() => globalThis.crossOriginIsolated);
    log(`page is ${isolated ? '' : 'NOT '}cross-origin isolated`);
    const machine = `${cpus().length} cores, ${browser.version} in a fresh profile on disk, ${isolated ? 'cross-origin isolated (5 µs clock)' : 'not cross-origin isolated (100 µs clock)'}`;
    const runOne = async (step: Step): Promise<StepResult> =>
      step.kind === 'tab'
        ? {
            id: step.id,
            kind: 'tab',
            result: await runTabScenario(browser.page.context(), new URL(browser.page.url()).origin, step.config, log),
          }
        : await browser.page.evaluate((s) => {
            const x = (globalThis as unknown as { ivyExperiments: ExperimentsApi }).ivyExperiments;
            return x.runStep(s, x.progress);
          }, step);
    const results = await runSteps(steps, {
      run: async (step) => {
        const profile = opts.profile;
        const profiler = profile === null ? null : await profileWorkers(browser.page, profile);
        stopProfiler = profiler
          ? async () => {
              for (const line of await profiler.stop(step.id)) log(`  profile: ${line}`);
            }
          : null;
        try {
          return await runOne(step);
        } finally {
          // A step that is not a scenario never calls the hook: stop here. The profiler is a tool
          // of the run, not part of the step: its failure does not cost the step its figures.
          await stopProfiler?.().catch((e: unknown) => log(`  profile: not written (${describeError(e)})`));
        }
      },
      limitMs: STEP_LIMIT_MS,
      afterFailure: () => browser.reload(),
      log,
    });
    return { results, machine };
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const opts = options();
  if (opts.render) {
    log(`${renderReport(opts.out ?? RESULTS_DIR)} rewritten`);
    return;
  }
  const all = suite(opts.quick);
  const chosen = opts.only ? all.filter((s) => opts.only?.includes(s.id)) : all;
  const placement = opts.placement;
  const steps = placement === null ? chosen : chosen.map((s) => inPlacement(s, placement));
  // Tab steps alone go to their own file, leaving the full run's experiments.json as it was.
  const tabOnly = steps.length > 0 && steps.every((s) => s.kind === 'tab');
  const reported = !opts.quick && opts.placement === null && opts.profile === null && (opts.only === null || tabOnly);
  if (opts.profile !== null) mkdirSync(opts.profile, { recursive: true });
  const out = opts.out ?? (reported ? RESULTS_DIR : mkdtempSync(join(tmpdir(), 'ivy-experiments-')));
  const started = Date.now();
  const { results, machine } = await runAll(steps, opts);
  writeResults(out, results, tabOnly ? TAB_RUN_FILE : FULL_RUN_FILE);
  log(`results in ${out}/ (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  // Set now, taken at the exit: the documents below are still written whatever failed.
  process.exitCode = runExitCode(results);
  const failed = failedSteps(results);
  if (failed.length > 0) log(`FAILED: ${failed.length} step(s), recorded with their errors: ${failed.map((f) => f.id).join(', ')}`);
  const flagged = flaggedSteps(results);
  if (flagged.length > 0) {
    log(`FLAGGED: ${flagged.length} step(s) with failures their scenario does not explain: ${flagged.map((f) => f.id).join(', ')}`);
    for (const f of flagged) log(`  ${f.id}: ${flagNote(f.result)}`);
  }
  const meta: RenderMeta = { quick: opts.quick, date: new Date().toISOString().slice(0, 10), machine };
  if (!reported || !isResultsDir(out)) {
    // Kept with the run, so that `--render --out DIR` can write its document again.
    writeFileSync(join(out, RUN_META_FILE), JSON.stringify(meta, null, 1) + '\n');
    writeFileSync(join(out, RESULTS_DOCUMENT_FILE), resultsDocument(results, meta));
    return;
  }
  if (!tabOnly) {
    writeFileSync(join(out, RUN_META_FILE), JSON.stringify(meta, null, 1) + '\n');
    // This run measured the tab steps too; an older tab-only run must not replace them.
    rmSync(join(out, TAB_RUN_FILE), { force: true });
  }
  log(`${renderReport(out)} rewritten`);
}

// Exit explicitly: the preview server's PeerServer middleware keeps sockets that outlive close().
main().then(
  () => process.exit(process.exitCode ?? 0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
