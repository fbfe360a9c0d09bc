// The experiments page (experiments.html): no dashboard, just the in-page runner on
// `window.ivyExperiments` for `npm run experiments`, and a progress log for a person watching.
import { runStep } from './run-step.ts';
import { runScenario } from './run-scenario.ts';
import { suite, type Step } from './suite.ts';
import { browserEnv } from './env.ts';
import type { Progress } from './types.ts';

type Window = { ivyExperiments?: ExperimentsApi; ivyProgress?: Progress; ivyBeforeTeardown?: () => Promise<void> };
const win = globalThis as unknown as Window;
const log = document.querySelector<HTMLOListElement>('#log');

/** Shows progress in the page and hands it to the Node driver's `ivyProgress`, when it set one. */
const progress: Progress = (p) => {
  const item = document.createElement('li');
  item.textContent = `${p.step} (${p.done}/${p.total})${p.note ? `: ${p.note}` : ''}`;
  log?.append(item);
  while (log && log.children.length > 200) log.firstElementChild?.remove();
  win.ivyProgress?.(p);
};

/** What the page offers its driver on `window.ivyExperiments`. */
export type ExperimentsApi = typeof api;

/** The driver's `ivyBeforeTeardown`, when it set one (a profiler), runs before each scenario's workers end. */
const runWithHooks = (step: Step, onProgress: Progress): ReturnType<typeof runStep> => {
  const hook = win.ivyBeforeTeardown;
  return runStep(step, onProgress, hook ? { ...browserEnv(), beforeTeardown: hook } : browserEnv());
};

const api = { runStep: runWithHooks, runScenario, suite, progress, crossOriginIsolated: globalThis.crossOriginIsolated === true };
win.ivyExperiments = api;
document.body.dataset.ready = 'true';
