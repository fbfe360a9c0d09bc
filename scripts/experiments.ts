// npm run experiments [-- --quick] [--only id,id] [--out DIR] [--no-build]
// Runs every experiment of src/experiments/suite.ts in headless Chromium, one step at a time,
// printing progress; writes the results as JSON and the recorded histories as JSON Lines, and
// (full runs into results/) regenerates the README's "Test results" section. Tab steps (one tab per
// node, scripts/experiments-tab.ts) run from here in the same browser; run alone, they write
// tab-mode.json and replace only the README's tab-mode block.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { ExperimentsApi } from '../src/experiments/page.ts';
import type { StepResult } from '../src/experiments/run-step.ts';
import { suite, type Step } from '../src/experiments/suite.ts';
import type { Progress, ScenarioResult } from '../src/experiments/types.ts';
import type { HistoryEvent } from '../src/sim/history.ts';
import { renderResults, replaceResultsSection, summaryLine } from '../src/experiments/markdown.ts';
import { toJsonLine } from '../src/sim/history.ts';
import { openExperimentsPage } from './experiments-browser.ts';
import { runTabScenario } from './experiments-tab.ts';
import { replaceTabSection, tabSection } from '../src/experiments/markdown-tables.ts';

interface Options {
  quick: boolean;
  only: string[] | null;
  out: string;
  build: boolean;
}

function options(): Options {
  const { values } = parseArgs({
    options: { quick: { type: 'boolean' }, only: { type: 'string' }, out: { type: 'string' }, 'no-build': { type: 'boolean' } },
  });
  const quick = values.quick === true;
  const out = values.out ?? (quick ? mkdtempSync(join(tmpdir(), 'ivy-experiments-')) : 'results');
  return { quick, only: values.only ? values.only.split(',') : null, out, build: values['no-build'] !== true };
}

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** Compressed histories beyond this keep only the pages the checker flagged, or are left out. */
const HISTORY_GZ_MAX_BYTES = 256 * 1024;

function compressHistory(r: ScenarioResult, history: HistoryEvent[]): { gz: Buffer; note?: string } {
  const gz = gzipSync(history.map(toJsonLine).join('\n') + '\n');
  if (gz.length <= HISTORY_GZ_MAX_BYTES) return { gz };
  const keys = new Set(r.uncheckedKeys);
  const kept = history.filter((e) => e.process === 'nemesis' || keys.has(e.key ?? ''));
  const note = `${history.length} events (${Math.round(gz.length / 1024)} KB compressed); kept the faults and ` +
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

async function runAll(steps: Step[], opts: Options): Promise<{ results: StepResult[]; machine: string }> {
  const browser = await openExperimentsPage(log, !opts.build);
  const results: StepResult[] = [];
  let machine = '';
  try {
    await browser.page.exposeFunction('ivyProgress', ((p) => log(`  ${p.step}`)) satisfies Progress);
    const isolated = await browser.page.evaluate(() => globalThis.crossOriginIsolated);
    log(`page is ${isolated ? '' : 'NOT '}cross-origin isolated`);
    machine = `${cpus().length} cores, ${browser.version}, ${isolated ? 'cross-origin isolated (5 µs clock)' : 'not cross-origin isolated (100 µs clock)'}`;
    for (const [i, step] of steps.entries()) {
      log(`step ${i + 1}/${steps.length}: ${step.id}`);
      const browserOf = browser.page.context().browser();
      const r: StepResult = step.kind === 'tab' && browserOf
        ? { id: step.id, kind: 'tab', result: await runTabScenario(browserOf, new URL(browser.page.url()).origin, step.config, log) }
        : await browser.page.evaluate((s) => {
          const x = (globalThis as unknown as { ivyExperiments: ExperimentsApi }).ivyExperiments;
          return x.runStep(s, x.progress);
        }, step);
      log(`  ${summaryLine(r)}`);
      results.push(r);
    }
  } finally {
    await browser.close();
  }
  return { results, machine };
}

async function main(): Promise<void> {
  const opts = options();
  const all = suite(opts.quick);
  const steps = opts.only ? all.filter((s) => opts.only?.includes(s.id)) : all;
  const started = Date.now();
  const { results, machine } = await runAll(steps, opts);
  // Tab steps alone go to their own file, leaving the full run's experiments.json as it was.
  const tabOnly = steps.length > 0 && steps.every((s) => s.kind === 'tab');
  writeResults(opts.out, results, tabOnly ? 'tab-mode.json' : 'experiments.json');
  log(`results in ${opts.out}/ (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const markdown = tabOnly ? tabSection(results).join('\n') + '\n' : renderResults(results, { quick: opts.quick, date: new Date().toISOString().slice(0, 10), machine });
  writeFileSync(join(opts.out, tabOnly ? 'tab-mode.md' : 'results.md'), markdown);
  if (!opts.quick && !opts.only) {
    writeFileSync('README.md', replaceResultsSection(readFileSync('README.md', 'utf8'), markdown));
    log('README.md "Test results" regenerated');
  } else if (!opts.quick && tabOnly) {
    // Tab steps alone: their block of the README's results is replaced, the rest kept.
    writeFileSync('README.md', replaceTabSection(readFileSync('README.md', 'utf8'), tabSection(results).join('\n')));
    log('README.md tab-mode results replaced');
  }
}

// Exit explicitly: the preview server's PeerServer middleware keeps sockets that outlive close().
main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
