// Runs one step of the suite and returns its result as plain JSON; the experiments page exposes
// it to `npm run experiments`, which drives the page one step at a time.
import { runCentralStore, runPing, type CentralStoreResult, type PingResult } from './baselines.ts';
import { runCopySet, type CopySetResult } from './copy-set.ts';
import { runDiskBench, type DiskBenchResult } from './disk-bench.ts';
import { runOwnedPagesStep, type OwnedPagesResult } from './owned-pages.ts';
import { runScenario } from './run-scenario.ts';
import { browserEnv, type ScenarioEnv } from './env.ts';
import type { Step } from './suite.ts';
import type { Progress, ScenarioResult, StepFailure } from './types.ts';

export type StepResult =
  | { id: string; kind: 'scenario'; result: ScenarioResult }
  | { id: string; kind: 'ping'; result: PingResult }
  | { id: string; kind: 'central-store'; result: CentralStoreResult }
  | { id: string; kind: 'copy-set'; result: CopySetResult }
  | { id: string; kind: 'disk'; result: DiskBenchResult }
  | { id: string; kind: 'owned-pages'; result: OwnedPagesResult }
  | { id: string; kind: 'tab'; result: ScenarioResult }
  /** Recorded by the run's loop (run-steps.ts), never returned by runStep. */
  | { id: string; kind: 'failed'; result: StepFailure };

export async function runStep(step: Step, onProgress: Progress = () => {}, env: ScenarioEnv = browserEnv()): Promise<StepResult> {
  switch (step.kind) {
    case 'scenario':
      return { id: step.id, kind: step.kind, result: await runScenario(step.config, onProgress, env) };
    case 'ping':
      return { id: step.id, kind: step.kind, result: await runPing(step.count) };
    case 'central-store':
      return { id: step.id, kind: step.kind, result: await runCentralStore(step.config) };
    case 'copy-set':
      return { id: step.id, kind: step.kind, result: await runCopySet(step.config, onProgress) };
    case 'disk':
      return { id: step.id, kind: step.kind, result: await runDiskBench(step.config) };
    case 'owned-pages':
      return { id: step.id, kind: step.kind, result: await runOwnedPagesStep(step.config, onProgress, env) };
    case 'tab':
      throw new Error(`${step.id}: tab steps open tabs from Node (lab/experiments-tab.ts), not in the page`);
  }
}
