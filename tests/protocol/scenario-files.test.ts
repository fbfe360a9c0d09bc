// Every file in testdata/scenarios/ is a failover scenario: commands in, expected output out
// (format and commands: scenario-script.ts). A failure names the file, the line and the command,
// and the lines of its output that differ. Regenerate with `UPDATE_SCENARIOS=1 npx vitest run tests/protocol/scenario-files.test.ts`.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseScenario, renderScenario, ScenarioRunner } from '../support/scenario-script.ts';
import { T } from '../support/stepped-net.ts';

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
      for (const [i, s] of steps.entries()) expect(actual[i], `${file}:${s.line}: ${s.command}`).toBe(s.expected);
    });
  }
});

// The files' arithmetic (takeover after 3 pulses of 100 ms, retries every 200 ms, a request's
// deadline at 5000 ms, CM re-sends every 150 ms) relies on this timing.
it('scenario timing', () => {
  expect(T).toMatchObject({ pulseIntervalMs: 100, pulseMissesMax: 3, retryIntervalMs: 200, requestDeadlineMs: 5000, cmResendMs: 150 });
});

describe('the scenario runner', () => {
  it('refuses an unknown command, a misused one, and a selector that matches nothing, saying why', () => {
    const runner = new ScenarioRunner();
    expect(() => runner.run('state')).toThrow('boot first');
    runner.run('boot');
    expect(() => runner.run('frobnicate c1')).toThrow(/^unknown command "frobnicate"; known: boot, write, /);
    expect(() => runner.run('write c1 P1')).toThrow('write: takes 3 words, got 2 (usage: write <client> <page> <value>)');
    expect(() => runner.run('settle 100 step=50')).toThrow('settle: no option step (usage: settle <time|+ms> [every=ms])');
    expect(() => runner.run('restart-client c1 tape')).toThrow('restart-client: "tape" is not one of disk|blank');
    expect(() => runner.run('tick soon')).toThrow('tick: time wants a whole number, got "soon"');
    expect(() => runner.run('hold c1->c2 PAGE')).toThrow('no queued message matches c1->c2 PAGE; queued: ');
    expect(() => runner.run('replay PAGE')).toThrow('replay: no held message matches PAGE; held: none');
    expect(() => runner.run('inject cm1->c1 READ_FORWARD epoch=1 page=P1')).toThrow(/^invalid message on the wire/);
  });
});
