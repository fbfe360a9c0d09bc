// npm run experiments [-- --quick] [--only id,id] [--out DIR] [--no-build]
// Runs every experiment of src/experiments/suite.ts in headless Chromium, one step at a time,
// printing progress; writes the results as JSON and the recorded histories as JSON Lines, and
// (full runs into results/) regenerates the README's "Test results" section.
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
function writeResults(dir: string, results: StepResult[]): void {
  mkdirSync(join(dir, 'histories'), { recursive: true });
  const slim = results.map((r) => {
    if (r.kind !== 'scenario' || !r.result.history) return r;
    const { history, ...rest } = r.result;
    const file = join('histories', `${r.id}.jsonl.gz`);
    const { gz, note } = compressHistory(r.result, history);
    writeFileSync(join(dir, file), gz);
    return { ...r, result: { ...rest, historyFile: file, ...(note ? { historyNote: note } : {}) } };
  });
  writeFileSync(join(dir, 'experiments.json'), JSON.stringify(slim, null, 1) + '\n');
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
      const r = await browser.page.evaluate((s) => {
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
  writeResults(opts.out, results);
  log(`results in ${opts.out}/ (${((Date.now() - started) / 1000).toFixed(0)} s)`);
  const markdown = renderResults(results, { quick: opts.quick, date: new Date().toISOString().slice(0, 10), machine });
  writeFileSync(join(opts.out, 'results.md'), markdown);
  if (!opts.quick && !opts.only) {
    writeFileSync('README.md', replaceResultsSection(readFileSync('README.md', 'utf8'), markdown));
    log('README.md "Test results" regenerated');
  }
}

// Exit explicitly: the preview server's PeerServer middleware keeps sockets that outlive close().
main().then(() => process.exit(0), (e: unknown) => {
  console.error(e);
  process.exit(1);
});
