// Which failures a run explains, the flag on the rest, and the departure figures per page class,
// on fabricated histories. No timing is asserted: the times are made up.
import { describe, expect, it } from 'vitest';
import { checkCompletion, couldHold, flagged, flagNote, type ExplainInput } from '../../src/experiments/explained.ts';
import type { AppliedFault } from '../../src/experiments/fault-driver.ts';
import { flagSection, flaggedSteps } from '../../src/experiments/flag-tables.ts';
import { backCell } from '../../src/experiments/class-tables.ts';
import { resultsDocument, summaryLine } from '../../src/experiments/markdown.ts';
import { classFigures, pageClasses, type ClassFigures } from '../../src/experiments/page-classes.ts';
import { scenarioResult } from '../../src/experiments/result.ts';
import type { ScenarioConfig } from '../../src/experiments/types.ts';
import type { TimedOp } from '../../src/experiments/workload-runner.ts';
import { timedOp } from '../support/timed-op.ts';

const op = timedOp;
const blocked = (page: string, at: number, reason = `page ${page} unavailable: its owner c3 has been away for 1.0 s`): TimedOp =>
  op({ page, invokedAt: at, doneAt: at + 5, outcome: 'fail', away: 'c3', error: reason });
const BUG = (page: string): string => `page ${page} unavailable: c3 left before reporting to this CM and may hold it`;

const LEAVE_AT = 1000;
const leave: AppliedFault = { step: { atMs: 900, action: 'leave', node: 'c3' }, at: LEAVE_AT, applied: true };
const kill = (at: number): AppliedFault => ({ step: { atMs: at - 100, action: 'kill', node: 'cm1' }, at, applied: true });

/** c3 wrote P1 (and left a write of P2 in flight), read P3; c5 wrote P4 early. */
const c3Ops = [
  op({ page: 'P1', invokedAt: 10, doneAt: 12 }),
  op({ page: 'P2', invokedAt: 990, doneAt: LEAVE_AT, outcome: 'info', error: 'left for good' }),
  op({ kind: 'read', page: 'P3', written: null, invokedAt: 30, doneAt: 32 }),
];
const run = (c5: TimedOp[], over: Partial<ExplainInput> = {}): ExplainInput => ({
  config: { replication: 'streaming' },
  startAt: 0,
  reports: [
    { node: 'c3', ops: c3Ops },
    { node: 'c5', ops: [op({ page: 'P4', invokedAt: 5, doneAt: 6 }), ...c5] },
  ],
  log: { faults: [leave], outages: [] },
  ...over,
});

describe('what a run explains', () => {
  it('explains failures naming the departed on pages it issued a write on, one in flight included, and nothing else', () => {
    expect(couldHold(c3Ops)).toEqual(['P1', 'P2']);
    const ok = checkCompletion(run([blocked('P1', 1100), blocked('P2', 1200), op({ page: 'P4', invokedAt: 1300, doneAt: 1301 })]));
    // c3's own write, cut short by its leaving, is explained too.
    expect([ok.expectedFailures, ok.completionExceptExpected, ok.unexplained]).toEqual([3, 1, undefined]);
    expect(ok.expected).toEqual([{ why: 'c3 left: pages it wrote', fromMs: 1000, toMs: null, pages: ['P1', 'P2'], away: 'c3' }]);
    // The bug: the new CM blames c3 for a page it never held.
    const bad = checkCompletion(run([blocked('P1', 1100), blocked('P9', 1200, BUG('P9')), blocked('P3', 1300, BUG('P3'))]));
    expect(bad.expectedFailures).toBe(2);
    expect(bad.completionExceptExpected).toBeCloseTo(3 / 5);
    expect(bad.unexplained).toEqual({
      count: 2,
      pages: ['P3', 'P9'],
      errors: [
        { error: BUG('P9'), count: 1 },
        { error: BUG('P3'), count: 1 },
      ],
    });
  });

  it("does not explain a failure on the departed's page that ended before it left, or that names someone else", () => {
    const early = checkCompletion(run([blocked('P1', 900)]));
    expect(early.unexplained?.count).toBe(1);
    const other = checkCompletion(
      run([op({ page: 'P1', invokedAt: 1100, doneAt: 1105, outcome: 'fail', away: 'c4', error: 'page P1 unavailable: c4 is away' })]),
    );
    expect(other.unexplained?.count).toBe(1);
    const uncertain = checkCompletion(run([{ ...blocked('P1', 1100), outcome: 'info' }]));
    expect(uncertain.unexplained?.count).toBe(1);
  });

  it('explains any failure pending while no CM ran, and none after', () => {
    const outage = { faults: [leave], outages: [{ from: 2000, to: 3000 }] };
    const fail = (at: number, doneAt = at + 5): TimedOp => op({ page: 'P7', invokedAt: at, doneAt, outcome: 'fail', error: 'deadline' });
    const r = checkCompletion(run([fail(1990, 2001), fail(2500), fail(3000)], { log: outage }));
    // Two in the outage, and c3's own write cut short by its leaving.
    expect(r.expectedFailures).toBe(3);
    expect(r.unexplained).toMatchObject({ count: 1, pages: ['P7'] });
    expect(r.expected[1]).toEqual({ why: 'no CM ran', fromMs: 2000, toMs: 3000 });
  });

  it("explains failures after a CM failed only under the seed's periodic replication", () => {
    const log = { faults: [leave, kill(2000)], outages: [] };
    const fail = op({ page: 'P7', invokedAt: 2500, doneAt: 2600, outcome: 'fail', error: 'page P7: owner c10 did not answer' });
    expect(checkCompletion(run([fail], { log, config: { replication: 'periodic' } })).unexplained).toBeUndefined();
    expect(checkCompletion(run([fail], { log })).unexplained?.count).toBe(1);
  });
});

const config: ScenarioConfig = {
  name: 'fabricated',
  clients: 5,
  pages: 10,
  readRatio: 0.5,
  opsPerClient: 10,
  seed: 1,
  backup: true,
  replication: 'streaming',
  faults: [{ atMs: 900, action: 'leave', node: 'c3' }],
  persist: false,
};
const result = (c5: TimedOp[]) =>
  scenarioResult({
    ...run(c5),
    reports: run(c5).reports.map((r) => ({ node: r.node, ops: [...r.ops] })),
    config,
    log: { ...run(c5).log, nemesis: [] },
    departed: new Set(['c3']),
    sent: null,
    clockResolutionMs: 0.005,
  });

describe('the flag', () => {
  it('flags a run with an unexplained failure, in its console line, the results and the list of steps', () => {
    const r = result([blocked('P1', 1100), blocked('P9', 1200, BUG('P9'))]);
    expect(flagged(r)).toBe(true);
    expect(flagNote(r)).toBe(`FLAGGED: 1 failures the scenario does not explain, on P9 (most often 1× "${BUG('P9')}")`);
    expect(summaryLine({ id: 'x', kind: 'scenario', result: r })).toContain('FLAGGED');
    const steps = [{ id: 'client-leaves-then-cm-fails', kind: 'scenario' as const, result: r }];
    expect(flaggedSteps(steps).map((s) => s.id)).toEqual(['client-leaves-then-cm-fails']);
    const doc = resultsDocument(steps, { quick: true, date: '2000-01-01' });
    expect(doc).toContain('### FLAGGED: 1 run(s) with failures their scenario does not explain');
    expect(doc).toMatch(/\| client-leaves-then-cm-fails \| 3\/6 \(50\.00%\) \| 2 \| 75\.00% \| 1 \| P9 \|/);
  });

  it("does not flag a run whose failures are all on the departed's owned pages", () => {
    const r = result([blocked('P1', 1100), blocked('P2', 1200)]);
    expect(r.completion).toBeLessThan(1);
    expect(flagged(r)).toBe(false);
    expect(flagNote(r)).toBe('');
    const steps = [{ id: 'client-leaves', kind: 'scenario' as const, result: r }];
    expect(flagSection(steps)).toEqual([]);
    expect(resultsDocument(steps, { quick: true, date: '2000-01-01' })).not.toContain('FLAGGED');
  });

  it('judges a result written before runs stated their expectations by its completion outside outages', () => {
    const old = { ...result([blocked('P1', 1100)]), expected: undefined };
    expect(flagged({ ...old, completionOutsideOutages: 0.9 })).toBe(true);
    expect(flagged({ ...old, completionOutsideOutages: 1 })).toBe(false);
  });
});

describe('page classes', () => {
  // c3 wrote P1 (owns it), read P3; c5 wrote P4 before the leave; P8 nobody wrote before it.
  const reports = (c5: TimedOp[]) => run(c5).reports;

  it('come from what the run did, as it stood at the event', () => {
    const c5 = [op({ page: 'P8', invokedAt: 1500, doneAt: 1510 })];
    const at = (t: number) => Object.fromEntries(pageClasses(reports(c5), 'c3', t));
    expect(at(LEAVE_AT)).toEqual({ P1: 'owned', P2: 'owned', P3: 'read-copied', P4: 'others', P8: 'never-written' });
    // Once c5 has written P8, a later event finds it written.
    expect(at(2000).P8).toBe('others');
  });

  it('give per class the ops in the window and how long until each page first served a request, or that it never did', () => {
    const c5 = [
      blocked('P1', 1100),
      blocked('P1', 1300),
      op({ page: 'P3', invokedAt: 1000, doneAt: 2100 }), // waited for c3's lease
      op({ page: 'P3', kind: 'read', invokedAt: 1001, doneAt: 1002, local: true }), // a hit: not a return
      op({ page: 'P4', invokedAt: 1001, doneAt: 1003 }),
      op({ page: 'P8', invokedAt: 1002, doneAt: 1012 }),
      op({ page: 'P9', kind: 'read', invokedAt: 1003, doneAt: 1030 }),
      blocked('P10', 1004, BUG('P10')),
      op({ page: 'P11', invokedAt: 1005, doneAt: 4000, outcome: 'fail', error: 'no answer within 3000 ms' }),
      op({ page: 'P8', invokedAt: 5000, doneAt: 5001 }), // after the window
      op({ page: 'P4', invokedAt: 999, doneAt: 1002 }), // in flight at the event
    ];
    const byClass = Object.fromEntries(classFigures(reports(c5), 'c3', LEAVE_AT, 5000).map((c) => [c.class, c]));
    expect(byClass.owned).toEqual({
      class: 'owned',
      pages: ['P1'],
      issued: 2,
      ok: 0,
      backP50Ms: null,
      backMaxMs: null,
      notBack: ['P1'],
      unavailable: ['P1'],
    });
    expect(byClass['read-copied']).toMatchObject({ pages: ['P3'], issued: 2, ok: 2, backP50Ms: 1100, backMaxMs: 1100, notBack: [] });
    expect(byClass.others).toMatchObject({ pages: ['P4'], issued: 1, ok: 1, backMaxMs: 3 });
    // P10 failed naming c3, which never wrote it: not back, whatever its reason says; P11 failed for another reason.
    expect(byClass['never-written']).toMatchObject({
      pages: ['P8', 'P9', 'P10', 'P11'],
      issued: 4,
      ok: 2,
      backP50Ms: 12,
      backMaxMs: 30,
      notBack: ['P10', 'P11'],
      unavailable: ['P10'],
    });
  });

  it('are shown as unavailable only for owned pages; any other page that did not come back is marked', () => {
    const c = (over: Partial<ClassFigures>): ClassFigures => ({
      class: 'owned',
      pages: ['P1'],
      issued: 3,
      ok: 0,
      backP50Ms: null,
      backMaxMs: null,
      notBack: ['P1'],
      unavailable: ['P1'],
      ...over,
    });
    expect(backCell(c({}))).toBe('unavailable (P1)');
    expect(backCell(c({ class: 'never-written', pages: ['P9'], notBack: ['P9'], unavailable: ['P9'] }))).toBe('**never back** (P9)');
    expect(
      backCell(c({ class: 'never-written', pages: ['P8', 'P9'], backP50Ms: 3, backMaxMs: 3, notBack: ['P9'], unavailable: ['P9'] })),
    ).toBe('3.00 / 3.00 ms; **not back**: P9');
    expect(backCell(c({ pages: ['P1', 'P2'], backP50Ms: 40, backMaxMs: 40 }))).toBe('40 / 40 ms; unavailable: P1');
    expect(backCell(c({ pages: [] }))).toBe('–');
  });
});
