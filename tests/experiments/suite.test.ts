// The experiment plan and its report: schedules from seeds, unique step ids, the report's
// section replaced between its markers only, targets judged from the figures given, every table
// in the report, and the results files read back and rendered where they belong.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isResultsDir, renderReport } from '../../lab/report.ts';
import { RESULTS_END, RESULTS_START, renderResults, replaceResultsSection, resultsDocument } from '../../src/experiments/markdown.ts';
import {
  FULL_RUN_FILE,
  parseRunMeta,
  parseStepResults,
  REPORT_FILE,
  RESULTS_DIR,
  RUN_META_FILE,
  withTabRun,
} from '../../src/experiments/results-files.ts';
import type { StepResult } from '../../src/experiments/run-step.ts';
import { faultSchedule, inPlacement, suite } from '../../src/experiments/suite.ts';
import { targetsTable } from '../../src/experiments/targets.ts';
import type { ScenarioResult } from '../../src/experiments/types.ts';
import { nodeSpecError, makeNode } from '../../src/host/make-node.ts';

describe('suite', () => {
  it("has unique ids and covers the issue's scenarios, baselines and sweeps", () => {
    for (const quick of [true, false]) {
      const ids = suite(quick).map((s) => s.id);
      expect(new Set(ids).size).toBe(ids.length);
      for (const id of [
        'ping',
        'basic-1',
        'ft-1',
        'central-store-90',
        'read-mostly',
        'seed-workload',
        'primary-fails',
        'primary-restarts',
        'primary-cycles',
        'both-cycles',
        'periodic-both-cycles',
        'copy-set',
      ])
        expect(ids).toContain(id);
    }
    expect(suite(false).map((s) => s.id)).toContain('sweep-clients-64');
  });

  it("runs the seed's workload in both placements, the clients sweep to 256 in both in full runs, and one packed scenario in quick ones", () => {
    const packed = (quick: boolean) => suite(quick).filter((s) => s.kind === 'scenario' && s.config.placement === 'packed');
    expect(packed(true).map((s) => s.id)).toEqual(['seed-workload-packed']);
    const full = suite(false);
    const config = (id: string) => full.find((s) => s.id === id);
    const seed = config('seed-workload');
    const seedPacked = config('seed-workload-packed');
    expect(
      seed?.kind === 'scenario' && seedPacked?.kind === 'scenario' && { ...seedPacked.config, name: 'x', placement: undefined },
    ).toEqual(seed?.kind === 'scenario' && { ...seed.config, name: 'x', placement: undefined });
    const counts = [1, 2, 4, 8, 16, 32, 64, 128, 256];
    for (const n of counts) {
      expect(config(`sweep-clients-${n}`)).toMatchObject({ sweep: 'clients', x: n, config: { clients: n } });
      expect(config(`sweep-clients-${n}-packed`)).toMatchObject({
        sweep: 'clients-packed',
        x: n,
        config: { clients: n, placement: 'packed' },
      });
    }
  });

  it('moves a scenario to another placement and back, and leaves other steps alone', () => {
    const ft = suite(true).find((s) => s.id === 'ft-1')!;
    const moved = inPlacement(ft, 'packed');
    expect(moved).toMatchObject({ id: 'ft-1-packed', config: { name: 'ft-1-packed', placement: 'packed' } });
    expect(inPlacement(moved, 'packed')).toBe(moved);
    expect(inPlacement(moved, 'worker-per-node')).toMatchObject({ id: 'ft-1', config: { name: 'ft-1', placement: 'worker-per-node' } });
    const ping = suite(true).find((s) => s.kind === 'ping')!;
    expect(inPlacement(ping, 'packed')).toBe(ping);
    expect(
      suite(false)
        .filter((s) => s.kind === 'tab')
        .map((s) => s.id),
    ).toEqual(['tab-ft-1', 'tab-primary-restarts', 'tab-client-leaves', 'tab-client-leaves-then-cm-fails']);
  });

  it('draws fault times from the seed, in order, and alternates kill and restart per CM', () => {
    const a = faultSchedule('both-cycles', 7, 3);
    expect(faultSchedule('both-cycles', 7, 3)).toEqual(a);
    expect(a).toHaveLength(12);
    expect(a.map((s) => s.atMs)).toEqual([...a.map((s) => s.atMs)].sort((x, y) => x - y));
    for (const node of ['cm1', 'cm2']) {
      const actions = a.filter((s) => s.node === node).map((s) => s.action);
      expect(actions).toEqual(['kill', 'restart', 'kill', 'restart', 'kill', 'restart']);
    }
    expect(faultSchedule('primary-fails', 1, 3)).toHaveLength(1);
  });
});

describe('replication in node specs', () => {
  it('accepts streaming or periodic and builds the CM with it', () => {
    expect(nodeSpecError({ role: 'cm', id: 'cm1', replication: 'periodic' })).toBeNull();
    expect(nodeSpecError({ role: 'cm', id: 'cm1', replication: 'sometimes' })).toMatch(/replication/);
    const made = makeNode({ role: 'cm', id: 'cm1', replication: 'periodic' }, 0).snapshot();
    expect(made.role === 'cm' && made.snapshot.replication).toBe('periodic');
  });
});

const scenario = (name: string, over: Partial<ScenarioResult> = {}): StepResult => ({
  id: name,
  kind: 'scenario',
  result: {
    name,
    config: {} as ScenarioResult['config'],
    issued: 10,
    ok: 10,
    failed: 0,
    unknown: 0,
    completion: 1,
    issuedWhileBothDown: 0,
    completionOutsideOutages: 1,
    latency: {
      readHit: { count: 0, p50Ms: null, p99Ms: null, maxMs: null },
      readFault: { count: 0, p50Ms: null, p99Ms: null, maxMs: null },
      writeHit: { count: 0, p50Ms: null, p99Ms: null, maxMs: null },
      writeFault: { count: 0, p50Ms: null, p99Ms: null, maxMs: null },
    },
    faultLatency: { count: 1, p50Ms: 2, p99Ms: 2, maxMs: 2 },
    totalMs: 1000,
    throughputOpsPerS: 1000,
    messagesPerOp: {},
    messagesPerOpTotal: 4,
    faults: [],
    linearizable: true,
    checkerUndecided: false,
    uncheckedKeys: [],
    errors: [],
    clockResolutionMs: 0.005,
    ...over,
  },
});

describe('report', () => {
  it('judges the fault-tolerance overhead and the seed ratio from the figures', () => {
    const t = targetsTable([
      scenario('basic-1', { faultLatency: { count: 1, p50Ms: 2, p99Ms: 2, maxMs: 2 } }),
      scenario('ft-1', { faultLatency: { count: 1, p50Ms: 3, p99Ms: 3, maxMs: 3 } }),
      scenario('seed-workload', { throughputOpsPerS: 3_900 }),
      scenario('seed-workload-packed', { throughputOpsPerS: 39_000 }),
    ]);
    expect(t).toMatch(/≤ 1\.3x basic Ivy[^\n]*\| 1\.50x \| \*\*no\*\* \|/);
    expect(t).toMatch(
      /on the way to 100x \| 39000 ops\/s \(linearizable\); a worker per node: 3900 ops\/s, 10\.00x[^\n]*\| 100\.00x \| yes \|/,
    );
    expect(t).toMatch(/256 clients in packed placement[^\n]*not measured/);
    expect(t).toMatch(/64 clients[^\n]*not measured/);
  });

  it('judges what durability costs against the same runs without a disk, and a write hit as owned pages grow', () => {
    const lat = (p50Ms: number) => ({ count: 1, p50Ms, p99Ms: p50Ms, maxMs: p50Ms });
    const latency = (writeHit: number, readFault: number) => ({
      readHit: lat(0.01),
      readFault: lat(readFault),
      writeHit: lat(writeHit),
      writeFault: lat(2),
    });
    const owned: StepResult = {
      id: 'owned-pages',
      kind: 'owned-pages',
      result: {
        config: { sizes: [10, 10_000], bytes: 4096, hits: 10 },
        points: [
          { owned: 10, writeHit: lat(0.08), notLocal: 0, failures: 0 },
          { owned: 10_000, writeHit: lat(0.1), notLocal: 0, failures: 0 },
        ],
        recoveryMs: 300,
        backMs: 900,
        recoveredPages: 10_000,
      },
    };
    const t = targetsTable([
      scenario('ft-1', { throughputOpsPerS: 5_000, latency: latency(0.09, 1.1) }),
      scenario('ft-disk-1', { throughputOpsPerS: 3_000, latency: latency(0.8, 1.2) }),
      scenario('ft-nopersist-1', { throughputOpsPerS: 6_000, latency: latency(0.02, 1.0) }),
      owned,
    ]);
    expect(t).toMatch(/at `disk` ≥ 0\.35[^\n]*process 5000 ops\/s; disk 3000 ops\/s, 0\.50x \| no disk: 6000 ops\/s \| 0\.83x \| yes \|/);
    expect(t).toMatch(/write hit p50 at `process` durability ≤ 0\.3 ms \| 0\.09 ms[^\n]*\| yes \|/);
    expect(t).toMatch(/read fault with persistence ≤ 1\.2x[^\n]*\| 1\.10x \| yes \|/);
    expect(t).toMatch(/owned pages grow from 10 to 10000 \(p50 within 1\.5x\) \| 0\.10 ms[^\n]*\| 1\.25x \| yes \|/);
    expect(t).toMatch(/10,000 pages of 4 KB[^\n]*300 ms; first read after 900 ms \(10000 pages back\)[^\n]*\| yes \|/);
    const slow = targetsTable([
      scenario('ft-1', { throughputOpsPerS: 3_000 }),
      scenario('ft-disk-1', { throughputOpsPerS: 2_000 }),
      scenario('ft-nopersist-1', { throughputOpsPerS: 6_000 }),
    ]);
    expect(slow).toMatch(/at `disk` ≥ 0\.35[^\n]*\| 0\.50x \| \*\*no\*\* \|/);
    expect(slow).toMatch(/10,000 pages of 4 KB[^\n]*not measured/);
  });

  it('counts a scenario that lost operations or is not linearizable against the 100% target', () => {
    const refuted = targetsTable([scenario('primary-fails'), scenario('both-cycles', { linearizable: false })]);
    expect(refuted).toMatch(/2 of 2 complete; 1 proven linearizable \| 100% and linearizable \| – \| \*\*no\*\*/);
    const lost = targetsTable([scenario('primary-fails', { completionOutsideOutages: 0.99 }), scenario('both-cycles')]);
    expect(lost).toMatch(/1 of 2 complete; 2 proven linearizable \|[^\n]*\*\*no\*\*/);
    const undecided = targetsTable([scenario('sweep-clients-64', { linearizable: false, checkerUndecided: true })]);
    expect(undecided).toMatch(/sweep-clients-64 undecided \(checker search limit\), none refuted/);
    expect(undecided).toMatch(/64 clients[^\n]*10\/10 ok; history undecided[^\n]*\| yes \|/);
  });

  it('replaces only what lies between the markers, and refuses a document without them', () => {
    const readme = `# x\n## The last run\n${RESULTS_START}\nOLD-SECTION\n${RESULTS_END}\n## after\n`;
    const out = replaceResultsSection(readme, renderResults([scenario('ft-1')], { quick: true, date: '2000-01-01' }));
    expect(out).not.toContain('OLD-SECTION');
    expect(out.startsWith(`# x\n## The last run\n${RESULTS_START}\nMeasured by`)).toBe(true);
    expect(out.endsWith(`${RESULTS_END}\n## after\n`)).toBe(true);
    expect(() => replaceResultsSection('# no markers', 'x')).toThrow(/results:start/);
  });
});

describe('summary and full tables', () => {
  const meta = { quick: false, date: '2000-01-01', machine: '2 cores' };
  const results = [scenario('ft-1'), scenario('primary-fails'), { ...scenario('tab-ft-1'), kind: 'tab' } as StepResult];

  it('puts every table in the report, its raw files named from where the document stands', () => {
    const section = renderResults(results, meta);
    const doc = resultsDocument(results, meta);
    expect(doc.startsWith('# ivy-web test results\n')).toBe(true);
    for (const heading of [
      '### Benchmark targets',
      '### Scenarios',
      '### Messages per operation',
      '### Faults',
      '### Baselines',
      '### Sweeps',
      '### Tab mode',
    ]) {
      expect(section).toContain(heading);
      expect(doc).toContain(heading);
    }
    expect(section).toMatch(/\| tab-ft-1 \| 10\/10 \(100%\)/);
    expect(section).toContain('on 2000-01-01 (2 cores)');
    // lab/README.md shows lab/results/; a document of its own lies beside its files.
    expect(section).toContain('Raw figures: `results/experiments.json`');
    expect(doc).toContain('Raw figures: `experiments.json`');
  });

  it('sets each scenario run in both placements side by side, and leaves the table out when none was', () => {
    const doc = resultsDocument(
      [
        scenario('seed-workload', { throughputOpsPerS: 2000 }),
        scenario('seed-workload-packed', { throughputOpsPerS: 5000 }),
        scenario('sweep-clients-4-packed', { throughputOpsPerS: 10 }),
      ],
      meta,
    );
    expect(doc).toMatch(
      /### Placement[^\n]*\n\n\| scenario[^\n]*\n[^\n]*\n\| seed-workload \| 2000 \(10\/10, [^|]*\| 5000 \(10\/10, [^|]*\| 2\.50x \|\n\n/,
    );
    expect(resultsDocument(results, meta)).not.toContain('### Placement');
  });

  it('says when the tab steps have not run', () => {
    expect(resultsDocument([scenario('ft-1')], meta)).toContain('Not run yet: the tab-mode');
  });
});

describe('results files', () => {
  it("takes a later tab-only run in place of the full run's tab rows", () => {
    const full = [scenario('ft-1'), { ...scenario('tab-ft-1', { ok: 1 }), kind: 'tab' } as StepResult];
    const tab = [{ ...scenario('tab-ft-1', { ok: 9 }), kind: 'tab' } as StepResult];
    const merged = withTabRun(full, tab);
    expect(merged.map((r) => [r.id, r.kind === 'tab' ? r.result.ok : null])).toEqual([
      ['ft-1', null],
      ['tab-ft-1', 9],
    ]);
    expect(withTabRun(full, [])).toEqual(full);
  });

  it("lets a tab step that failed in a later tab-only run replace the full run's figures, and says so", () => {
    const full = [scenario('ft-1'), { ...scenario('tab-ft-1'), kind: 'tab' } as StepResult];
    const failed: StepResult = {
      id: 'tab-ft-1',
      kind: 'failed',
      result: { step: 'tab', error: 'tab mode: cm1 acting (waited 15000 ms)', at: '2000-01-02T03:04:05.000Z', afterMs: 15_000 },
    };
    const merged = withTabRun(full, [failed]);
    expect(merged.map((r) => [r.id, r.kind])).toEqual([
      ['ft-1', 'scenario'],
      ['tab-ft-1', 'failed'],
    ]);
    const doc = resultsDocument(merged, { quick: false, date: '2000-01-01' });
    expect(doc).toContain('| tab-ft-1 | tab | 2000-01-02T03:04:05.000Z | 15.0 s | failed: tab mode: cm1 acting (waited 15000 ms) |');
    expect(doc).toContain('No tab step finished: tab-ft-1 failed');
    expect(doc).not.toMatch(/\| tab-ft-1 \| 10\/10/);
  });

  it('reads back what was written, and names the file when it is not that', () => {
    const rs = [scenario('ft-1')];
    expect(parseStepResults(JSON.stringify(rs), 'x.json')).toEqual(rs);
    expect(() => parseStepResults('{', 'x.json')).toThrow(/^x\.json: not JSON/);
    expect(() => parseStepResults('{}', 'x.json')).toThrow('x.json: expected a list of step results');
    expect(() => parseStepResults('[{"id":"a","kind":"nope","result":{}}]', 'x.json')).toThrow('x.json: entry 0 is not a step result');
    expect(() => parseStepResults('[{"id":"a","kind":"failed","result":{}}]', 'x.json')).toThrow('x.json: entry 0 is not a step result');
    expect(parseRunMeta('{"date":"2000-01-01","quick":false,"machine":"m"}', 'run.json')).toEqual({
      date: '2000-01-01',
      quick: false,
      machine: 'm',
    });
    expect(() => parseRunMeta('{"date":1}', 'run.json')).toThrow('run.json: expected { date, quick, machine? }');
  });

  it('renders lab/results/ into the report between its markers, and any other directory beside its files', () => {
    expect(isResultsDir(RESULTS_DIR)).toBe(true);
    expect(isResultsDir(`./${RESULTS_DIR}/`)).toBe(true);
    expect(isResultsDir('results')).toBe(false);
    expect(readFileSync(REPORT_FILE, 'utf8')).toContain(RESULTS_START);

    const dir = mkdtempSync(join(tmpdir(), 'ivy-report-test-'));
    try {
      writeFileSync(join(dir, FULL_RUN_FILE), JSON.stringify([scenario('ft-1')]));
      writeFileSync(join(dir, RUN_META_FILE), JSON.stringify({ date: '2000-01-01', quick: false }));
      // A directory of its own: a document beside the files.
      expect(renderReport(dir)).toBe(join(dir, 'README.md'));
      expect(readFileSync(join(dir, 'README.md'), 'utf8')).toMatch(/^# ivy-web test results\n[^]*\| ft-1 \| 10\/10/);
      // A report: only its section changes.
      const report = join(dir, 'report.md');
      writeFileSync(report, `# lab\nby hand\n${RESULTS_START}\nOLD\n${RESULTS_END}\nafter\n`);
      expect(renderReport(dir, report)).toBe(report);
      const text = readFileSync(report, 'utf8');
      expect(text.startsWith(`# lab\nby hand\n${RESULTS_START}\nMeasured by`)).toBe(true);
      expect(text.endsWith(`${RESULTS_END}\nafter\n`)).toBe(true);
      expect(text).not.toContain('OLD');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
