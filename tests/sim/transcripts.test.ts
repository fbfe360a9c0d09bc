// Message-flow transcripts, as etcd's raft keeps them: small seeded runs whose every delivered
// message is written as one readable line (`c1->cm1 READ_REQUEST(RQ) P1 c1:1 e1`). A change to
// the protocol shows up here as a diff a person can read. Regenerate with
// `UPDATE_TRANSCRIPTS=1 npx vitest run tests/sim/transcripts.test.ts` and review the diff.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toJsonLine } from '../../src/check/history.ts';
import { simulate, type SimOptions } from '../../src/sim/simulator.ts';

const CASES: Array<{ name: string; opts: SimOptions }> = [
  { name: 'read-and-write-faults', opts: { seed: 3, clients: 3, pages: 1, ops: 8, readRatio: 0.5, backup: false } },
  {
    name: 'primary-crash-and-takeover',
    opts: {
      seed: 5,
      clients: 2,
      pages: 1,
      ops: 40,
      readRatio: 0.5,
      faults: ['crash-primary'],
      nemesis: { faultCount: 1, gapMinMs: 30, gapMaxMs: 30, downMinMs: 400, downMaxMs: 400 },
    },
  },
];

function render(opts: SimOptions): string {
  const r = simulate({ ...opts, transcript: true });
  // Pulses and their answers repeat every 100 ms; they would drown the flow.
  const lines = r.transcript.filter((l) => !/ (PULSE|PULSE_REPLY)\(/.test(l));
  const history = r.history.map(toJsonLine);
  return `# messages\n${lines.join('\n')}\n# history\n${history.join('\n')}\n`;
}

describe('message-flow transcripts', () => {
  for (const { name, opts } of CASES) {
    it(name, () => {
      const file = new URL(`./testdata/${name}.txt`, import.meta.url);
      const text = render(opts);
      if (process.env.UPDATE_TRANSCRIPTS) writeFileSync(file, text);
      expect(text).toBe(readFileSync(file, 'utf8'));
    });
  }
});
