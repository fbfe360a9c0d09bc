// The Experiments panel's runner: the scenarios and sweeps of the experiments suite (the same
// list `npm run experiments` runs), each run in this page by the suite's runStep.
import { runStep } from '../../experiments/run-step.ts';
import { suite, type Step } from '../../experiments/suite.ts';
import type { ExperimentsRunner, PlannedRun } from './experiments-session.ts';

type ScenarioStep = Extract<Step, { kind: 'scenario' }>;

function scenarioSteps(quick: boolean): ScenarioStep[] {
  return suite(quick).filter((s): s is ScenarioStep => s.kind === 'scenario');
}

export function suiteRunner(): ExperimentsRunner {
  return {
    plan: (quick) =>
      scenarioSteps(quick).map((s): PlannedRun => {
        const base = { id: s.id, label: s.sweep === undefined ? s.id : `${s.sweep} = ${s.x ?? '?'}` };
        return s.sweep === undefined ? base : { ...base, sweep: s.sweep, x: s.x ?? 0 };
      }),
    async run(id, quick, onProgress) {
      const step = scenarioSteps(quick).find((s) => s.id === id);
      if (!step) throw new Error(`no experiment ${id}`);
      const r = await runStep(step, onProgress);
      if (r.kind !== 'scenario') throw new Error(`${id} is not a scenario`);
      return r.result;
    },
  };
}
