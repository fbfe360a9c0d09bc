// Every file in testdata/scenarios/ is a failover scenario: commands in, expected output out
// (format and commands: scenario-script.ts). A failure names the file, the command and its line
// of output that differs. Regenerate with `UPDATE_SCENARIOS=1 npx vitest run tests/protocol/scenario-files.test.ts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, renderScenario, ScenarioRunner } from '../support/scenario-script.ts';

const DIR = new URL('./testdata/scenarios/', import.meta.url);
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith('.txt'))
  .sort();

describe('failover scenarios from text files', () => {
  it('has scenarios to run', () => {
    expect(FILES.length).toBeGreaterThan(0);
  });

  for (const file of FILES) {
    it(file, () => {
      const url = new URL(file, DIR);
      const text = readFileSync(url, 'utf8');
      const runner = new ScenarioRunner();
      const steps = parseScenario(text);
      const actual = steps.map((s) => runner.run(s.command));
      if (process.env.UPDATE_SCENARIOS) {
        writeFileSync(url, renderScenario(text, actual));
        return;
      }
      for (const [i, s] of steps.entries()) expect(actual[i], `${file}: ${s.command}`).toBe(s.expected);
    });
  }
});
