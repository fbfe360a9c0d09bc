// The run's loop (run-steps.ts) on in-process workers: a step that fails is recorded with its
// error, the steps after it still run, the report shows it and the run ends non-zero.
import { afterEach, describe, expect, it } from 'vitest';
import { renderResults, resultsDocument } from '../../src/experiments/markdown.ts';
import { parseStepResults } from '../../src/experiments/results-files.ts';
import { runStep, type StepResult } from '../../src/experiments/run-step.ts';
import { runExitCode, runSteps } from '../../src/experiments/run-steps.ts';
import type { Step } from '../../src/experiments/suite.ts';
import type { ScenarioConfig } from '../../src/experiments/types.ts';
import { inProcessEnv } from '../support/experiments-env.ts';

const env = inProcessEnv();
afterEach(() => env.stopAll());

const config = (name: string): ScenarioConfig => ({
  name,
  clients: 2,
  pages: 2,
  readRatio: 0.5,
  opsPerClient: 10,
  seed: 1,
  backup: true,
  replication: 'streaming',
  faults: [],
  persist: false,
});
const scenarioStep = (id: string, over: Partial<ScenarioConfig> = {}): Step => ({
  id,
  kind: 'scenario',
  config: { ...config(id), ...over },
});
const meta = { quick: true, date: '2000-01-01' };

describe('runSteps', () => {
  it('records a step that throws with its error, runs the steps after it, reports it and fails the run', async () => {
    const recovered: string[] = [];
    const lines: string[] = [];
    const results = await runSteps(
      // No clients: runScenario refuses the config, as the page would.
      [scenarioStep('before'), scenarioStep('broken', { clients: 0 }), scenarioStep('after')],
      {
        run: (step) => runStep(step, () => {}, env),
        limitMs: 60_000,
        afterFailure: async (step) => {
          recovered.push(step.id);
        },
        log: (line) => lines.push(line),
      },
    );

    expect(results.map((r) => [r.id, r.kind])).toEqual([
      ['before', 'scenario'],
      ['broken', 'failed'],
      ['after', 'scenario'],
    ]);
    const after = results[2];
    expect(after?.kind === 'scenario' && [after.result.issued, after.result.ok]).toEqual([20, 20]);
    expect(recovered).toEqual(['broken']);

    const broken = results[1];
    expect(broken?.kind).toBe('failed');
    if (broken?.kind !== 'failed') return;
    expect(broken.result).toMatchObject({ step: 'scenario', error: 'scenario broken: clients must be 1..256' });
    expect(new Date(broken.result.at).toISOString()).toBe(broken.result.at);
    expect(broken.result.afterMs).toBeGreaterThanOrEqual(0);
    expect(lines).toContainEqual(expect.stringMatching(/^ {2}FAILED after [\d.]+ s: scenario broken: clients must be 1\.\.256$/));
    // What the run writes is what --render reads back.
    expect(parseStepResults(JSON.stringify(results), 'experiments.json')).toEqual(results);

    for (const doc of [resultsDocument(results, meta), renderResults(results, meta)]) {
      expect(doc).toContain('### FAILED: 1 step(s) did not finish');
      expect(doc).toContain(`| broken | scenario | ${broken.result.at} |`);
      expect(doc).toContain('| failed: scenario broken: clients must be 1..256 |');
    }
    expect(resultsDocument(results, meta)).toMatch(/\| after \| 20\/20 \(100%\)/);

    expect(runExitCode(results)).toBe(1);
    expect(runExitCode(results.filter((r) => r.kind !== 'failed'))).toBe(0);
  });

  it('records a step that never settles as failed at its time limit, and goes on', async () => {
    const ping: StepResult = {
      id: 'ping',
      kind: 'ping',
      result: {
        count: 1,
        rtt: { count: 1, p50Ms: 0.05, p99Ms: 0.05, maxMs: 0.05 },
        oneWayMs: 0.025,
        spacedRtt: { count: 1, p50Ms: 0.1, p99Ms: 0.1, maxMs: 0.1 },
        spacedCount: 1,
      },
    };
    const results = await runSteps([scenarioStep('stuck'), { id: 'ping', kind: 'ping', count: 1 }], {
      run: (step) => (step.id === 'stuck' ? new Promise<never>(() => {}) : Promise.resolve(ping)),
      limitMs: 1,
      log: () => {},
    });
    expect(results[0]).toMatchObject({
      id: 'stuck',
      kind: 'failed',
      result: { step: 'scenario', error: 'step stuck took longer than 1 ms' },
    });
    expect(results[1]).toBe(ping);
    expect(runExitCode(results)).toBe(1);
  });

  it('goes on when clearing up after a failure fails too', async () => {
    const lines: string[] = [];
    const results = await runSteps([scenarioStep('broken', { clients: 0 }), scenarioStep('next', { pages: 0 })], {
      run: (step) => runStep(step, () => {}, env),
      limitMs: 60_000,
      afterFailure: () => Promise.reject(new Error('page gone')),
      log: (line) => lines.push(line),
    });
    expect(results.map((r) => [r.id, r.kind])).toEqual([
      ['broken', 'failed'],
      ['next', 'failed'],
    ]);
    expect(lines).toContain('  after broken failed, could not clear what it left: page gone');
  });
});
