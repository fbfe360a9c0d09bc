// Clients that leave for good, in the experiments: how a leaving client comes to hold a page and
// a copy and stops right then, which failures count as expected, when writes count as back,
// the scenarios in the suite, and their rows in the results. No timing is asserted.
import { describe, expect, it } from 'vitest';
import type { ClientSnapshot, OpRequest } from '../../src/protocol/client.ts';
import { TIMING_DEFAULTS } from '../../src/protocol/config.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import type { NodeState } from '../../src/host/make-node.ts';
import { isExpectedFailure, writesBack } from '../../src/experiments/availability.ts';
import { holdingOp, holdings, holdsBoth, leaveHolding, type LeavingNode } from '../../src/experiments/leave.ts';
import { leaveRuns, leaveSection, leaveTargetRow } from '../../src/experiments/leave-tables.ts';
import { resultsDocument } from '../../src/experiments/markdown.ts';
import { scenarioConfigError } from '../../src/experiments/run-scenario.ts';
import type { StepResult } from '../../src/experiments/run-step.ts';
import { leaveSchedule, suite, type Step } from '../../src/experiments/suite.ts';
import { targetsTable } from '../../src/experiments/targets.ts';
import type { FaultReport, ScenarioConfig, ScenarioResult } from '../../src/experiments/types.ts';
import { runOps, type TimedOp } from '../../src/experiments/workload-runner.ts';
import { allows, leaveLayout, ruleAfterLeave, ruleBeforeLeave, type PageRule } from '../../src/experiments/page-layout.ts';
import { timedOp } from '../support/timed-op.ts';

type Entry = ClientSnapshot['pages'][number];
const owned = (page: string): Entry => ({ page, content: 'x', version: 1, access: 'write', owner: true });
const copy = (page: string): Entry => ({ page, content: 'x', version: 1, access: 'read', owner: false });
const snap = (pages: Entry[], leased = true): ClientSnapshot => ({
  id: 'c3',
  cm: 'cm1',
  epoch: 1,
  leased,
  pages,
  inFlight: null,
  queued: 0,
  unreplicated: [],
});

describe('what a leaving client holds', () => {
  it('counts owned pages always and read copies only under a lease', () => {
    expect(holdings(snap([owned('P2'), copy('P5'), copy('P1')]))).toEqual({ owned: ['P2'], copies: ['P1', 'P5'] });
    expect(holdings(snap([owned('P2'), copy('P5')], false))).toEqual({ owned: ['P2'], copies: [] });
    // An owner whose page others read holds it read-only: still owned, not a copy.
    expect(holdings(snap([{ ...owned('P2'), access: 'read' }]))).toEqual({ owned: ['P2'], copies: [] });
    expect(holdsBoth({ owned: ['P2'], copies: ['P1'] })).toBe(true);
    expect(holdsBoth({ owned: ['P2'], copies: [] })).toBe(false);
  });

  it('writes a page it has no copy of when it owns none, else reads one it neither owns nor holds', () => {
    const plan = { client: 3, pages: 4, opsMax: 10 };
    expect(holdingOp({ owned: [], copies: ['P1'] }, plan, 0)).toEqual({ kind: 'write', page: 'P2', value: '3.leaving1' });
    expect(holdingOp({ owned: [], copies: [] }, plan, 5)).toEqual({ kind: 'write', page: 'P2', value: '3.leaving6' });
    expect(holdingOp({ owned: ['P2'], copies: [] }, plan, 1)).toEqual({ kind: 'read', page: 'P3' });
    expect(holdingOp({ owned: ['P2', 'P3'], copies: ['P4'] }, plan, 1)).toEqual({ kind: 'read', page: 'P1' });
  });
});

/** A client whose page table is whatever the script says after each operation. */
function scripted(after: ClientSnapshot[]): LeavingNode & { submitted: OpRequest[]; stoppedWith: ClientSnapshot | null } {
  let state = snap([]);
  const node = {
    submitted: [] as OpRequest[],
    stoppedWith: null as ClientSnapshot | null,
    snapshot: (): NodeState => ({ role: 'client', snapshot: state }),
    submit(op: OpRequest): Promise<OpResult> {
      node.submitted.push(op);
      state = after.shift() ?? state;
      return Promise.resolve({ ok: true, value: op.kind === 'write' ? op.value : 'v', local: false });
    },
    stop() {
      node.stoppedWith = state;
    },
  };
  return node;
}

describe('leaveHolding', () => {
  it('stops right after the operation that made it hold a page and a copy, and reports what it held', async () => {
    // A copy it read is taken away by the time it owns a page; the next read gives it one again.
    const node = scripted([snap([copy('P1')]), snap([owned('P2')]), snap([owned('P2'), copy('P3')])]);
    const r = await leaveHolding(node, { client: 3, pages: 4, opsMax: 50 });
    expect(node.submitted.map((o) => `${o.kind} ${o.page}`)).toEqual(['write P1', 'write P2', 'read P3']);
    expect(r.held).toEqual({ owned: ['P2'], copies: ['P3'] });
    expect(node.stoppedWith).toEqual(snap([owned('P2'), copy('P3')]));
    expect(r.ops.map((o) => [o.kind, o.page, o.outcome])).toEqual([
      ['write', 'P1', 'ok'],
      ['write', 'P2', 'ok'],
      ['read', 'P3', 'ok'],
    ]);
    expect(r.ops[0]?.written).toBe('3.leaving1');
  });

  it('leaves anyway after opsMax operations, saying what it held', async () => {
    const node = scripted([]);
    const r = await leaveHolding(node, { client: 3, pages: 4, opsMax: 3 });
    expect(node.submitted).toHaveLength(3);
    expect(r.held).toEqual({ owned: [], copies: [] });
    expect(node.stoppedWith).not.toBeNull();
  });
});

const op = timedOp;
const away = (page: string, at: number): TimedOp =>
  op({
    page,
    invokedAt: at,
    doneAt: at + 1,
    outcome: 'fail',
    away: 'c3',
    error: `page ${page} unavailable: its owner c3 has been away for 0.2 s`,
  });

describe('expected failures', () => {
  const gone = new Set(['c3']);
  it('are failures naming a departed client as the reason the page is unavailable', () => {
    expect(isExpectedFailure(away('P2', 5), gone)).toBe(true);
    expect(isExpectedFailure(away('P2', 5), new Set(['c4']))).toBe(false);
    // Naming it without saying it is away (the bug the leases fix) is no expected failure.
    expect(isExpectedFailure(op({ outcome: 'fail', error: 'copy holders c3 did not answer' }), gone)).toBe(false);
    // Nor is a reason that does not name it, or an uncertain outcome.
    expect(isExpectedFailure(op({ outcome: 'fail', away: 'c3', error: 'page P2 unavailable: c33 is away' }), gone)).toBe(false);
    expect(isExpectedFailure({ ...away('P2', 5), outcome: 'info' }, gone)).toBe(false);
  });
});

describe('writes back after a fault', () => {
  const gone = new Set(['c3']);
  it("is the slowest page's first write that needed the CM, issued after the fault", () => {
    const ops = [
      op({ page: 'P1', invokedAt: 90, doneAt: 150 }), // in flight at the fault: left out
      op({ page: 'P1', invokedAt: 100, doneAt: 1200 }), // waited for the departed's copy
      op({ page: 'P1', invokedAt: 1200, doneAt: 1201 }),
      op({ page: 'P3', invokedAt: 101, doneAt: 103, local: true }), // a hit needs nobody
      op({ page: 'P3', invokedAt: 104, doneAt: 110 }),
      op({ page: 'P4', kind: 'read', invokedAt: 100, doneAt: 5000 }), // reads do not count
      away('P2', 120),
      away('P2', 300),
    ];
    expect(writesBack(ops, 100, gone)).toEqual({ writesBackMs: 1100, writesBackPage: 'P1', unavailablePages: ['P2'], neverBackPages: [] });
  });

  it('leaves out what was issued from the next fault on: a page first asked for then says nothing of this one', () => {
    const ops = [
      op({ page: 'P1', invokedAt: 100, doneAt: 1200 }),
      op({ page: 'P9', invokedAt: 2000, doneAt: 2400 }), // untouched until the CM failed at 2000
      op({ page: 'P10', invokedAt: 2100, doneAt: 7100, outcome: 'fail', error: 'deadline' }),
    ];
    expect(writesBack(ops, 100, gone, 2000)).toEqual({
      writesBackMs: 1100,
      writesBackPage: 'P1',
      unavailablePages: [],
      neverBackPages: [],
    });
    expect(writesBack(ops, 100, gone)).toEqual({ writesBackMs: null, unavailablePages: [], neverBackPages: ['P10'] });
  });

  it('is null when a page had writes after the fault and none succeeded for another reason', () => {
    const ops = [
      op({ page: 'P1', invokedAt: 100, doneAt: 110 }),
      op({ page: 'P10', invokedAt: 100, doneAt: 5100, outcome: 'fail', error: 'deadline' }),
    ];
    expect(writesBack(ops, 100, gone)).toEqual({ writesBackMs: null, unavailablePages: [], neverBackPages: ['P10'] });
    expect(writesBack([], 100, gone)).toEqual({ writesBackMs: null, unavailablePages: [], neverBackPages: [] });
  });
});

const scenarios = (quick: boolean): Array<Extract<Step, { kind: 'scenario' }>> =>
  suite(quick).filter((s): s is Extract<Step, { kind: 'scenario' }> => s.kind === 'scenario');

describe('leave scenarios in the suite', () => {
  it('measure the default lease in quick runs, and two other leases too in full runs, all valid', () => {
    const leaving = (quick: boolean) => scenarios(quick).filter((s) => s.config.faults.some((f) => f.action === 'leave'));
    expect(leaving(true).map((s) => s.id)).toEqual(['client-leaves', 'client-leaves-then-cm-fails']);
    expect(leaving(false).map((s) => [s.id, s.config.timing?.leaseMs])).toEqual([
      ['client-leaves', TIMING_DEFAULTS.leaseMs],
      ['client-leaves-then-cm-fails', TIMING_DEFAULTS.leaseMs],
      ['client-leaves-lease-500', 500],
      ['client-leaves-then-cm-fails-lease-500', 500],
      ['client-leaves-lease-2000', 2000],
      ['client-leaves-then-cm-fails-lease-2000', 2000],
    ]);
    for (const s of leaving(false)) expect(scenarioConfigError(s.config)).toBeNull();
    const tabs = suite(false)
      .filter((s) => s.kind === 'tab')
      .map((s) => s.id);
    expect(tabs).toEqual(['tab-ft-1', 'tab-primary-restarts', 'tab-client-leaves', 'tab-client-leaves-then-cm-fails']);
  });

  it("fail the acting CM only after the departed client must have been deemed away, and run on past the new CM's wait", () => {
    for (const leaseMs of [500, 1000, 2000]) {
      const { faults, durationMs } = leaveSchedule('client-leaves-then-cm-fails', 7, leaseMs);
      const [leave, kill] = faults;
      expect(leave).toMatchObject({ action: 'leave', node: 'c3' });
      expect(kill).toMatchObject({ action: 'kill', node: 'cm1' });
      expect(kill!.atMs - leave!.atMs).toBeGreaterThan(leaseMs * 1.1);
      expect(durationMs - kill!.atMs).toBeGreaterThan(leaseMs * 1.1);
    }
    expect(leaveSchedule('client-leaves', 7, 1000).faults).toHaveLength(1);
  });

  it('refuse a leave the cluster cannot carry out', () => {
    const c: ScenarioConfig = {
      name: 'x',
      clients: 4,
      pages: 4,
      readRatio: 0.5,
      opsPerClient: 10,
      seed: 1,
      backup: true,
      replication: 'streaming',
      persist: false,
      faults: [{ atMs: 10, action: 'leave', node: 'c3' }],
    };
    expect(scenarioConfigError(c)).toBeNull();
    expect(scenarioConfigError({ ...c, faults: [{ atMs: 10, action: 'leave', node: 'c5' }] })).toMatch(/c1\.\.c4/);
    expect(scenarioConfigError({ ...c, faults: [{ atMs: 10, action: 'leave', node: 'cm1' }] })).toMatch(/c1\.\.c4/);
    expect(scenarioConfigError({ ...c, faults: [{ atMs: 10, action: 'kill', node: 'c3' }] })).toMatch(/only cm1 and cm2/);
    expect(scenarioConfigError({ ...c, faults: [...c.faults, { atMs: 20, action: 'leave', node: 'c3' }] })).toMatch(/only once/);
    expect(scenarioConfigError({ ...c, pages: 1 })).toMatch(/pages must be 2/);
    expect(scenarioConfigError({ ...c, timing: { leaseMs: -1 } })).toMatch(/leaseMs/);
  });
});

const latency = { count: 0, p50Ms: null, p99Ms: null, maxMs: null };
function leaveResult(name: string, leaseMs: number, faults: FaultReport[], over: Partial<ScenarioResult> = {}): ScenarioResult {
  return {
    name,
    config: { timing: { leaseMs } } as ScenarioConfig,
    issued: 100,
    ok: 90,
    failed: 10,
    unknown: 0,
    completion: 0.9,
    issuedWhileBothDown: 0,
    completionOutsideOutages: 0.9,
    expected: [{ why: 'c3 left: pages it wrote', fromMs: 500, toMs: null, pages: ['P2'], away: 'c3' }],
    expectedFailures: 10,
    completionExceptExpected: 1,
    latency: { readHit: latency, readFault: latency, writeHit: latency, writeFault: latency },
    faultLatency: latency,
    totalMs: 2000,
    throughputOpsPerS: 45,
    messagesPerOp: { LEASE: 0.1, LEASE_GRANT: 0.1 },
    messagesPerOpTotal: 5,
    faults,
    linearizable: true,
    checkerUndecided: false,
    uncheckedKeys: [],
    errors: [],
    clockResolutionMs: 0.005,
    ...over,
  };
}
const left = (writesBackMs: number | null): FaultReport => ({
  atMs: 500,
  action: 'leave',
  node: 'c3',
  applied: true,
  held: { owned: ['P2'], copies: ['P5'] },
  writesBackMs,
  ...(writesBackMs === null ? {} : { writesBackPage: 'P5' }),
  unavailablePages: ['P2'],
  neverBackPages: writesBackMs === null ? ['P7'] : [],
});
const cmKilled = (writesBackMs: number, unavailableMs = 300): FaultReport => ({
  atMs: 3000,
  action: 'kill',
  node: 'cm1',
  applied: true,
  roleWhenKilled: 'acting',
  unavailableMs,
  writesBackMs,
  writesBackPage: 'P1',
  unavailablePages: ['P2'],
  neverBackPages: [],
});

describe('leave figures in the results', () => {
  const d = TIMING_DEFAULTS.leaseMs;
  const results = (tabBack: number): StepResult[] => [
    { id: 'client-leaves', kind: 'scenario', result: leaveResult('client-leaves', d, [left(1150)]) },
    {
      id: 'client-leaves-then-cm-fails',
      kind: 'scenario',
      result: leaveResult('client-leaves-then-cm-fails', d, [left(1100), cmKilled(1500, 5000)]),
    },
    { id: 'client-leaves-lease-2000', kind: 'scenario', result: leaveResult('client-leaves-lease-2000', 2000, [left(2250)]) },
    {
      id: 'tab-client-leaves',
      kind: 'tab',
      result: leaveResult('tab-client-leaves', d, [left(tabBack)], { messagesPerOp: {}, messagesPerOpTotal: 0 }),
    },
  ];

  it('judge the 2 s target on the default lease, on workers and in tabs', () => {
    expect(leaveRuns(results(1300)).map((r) => [r.result.name, r.cluster, r.leaseMs, r.cmKill?.node ?? null])).toEqual([
      ['client-leaves', 'workers', d, null],
      ['client-leaves-then-cm-fails', 'workers', d, 'cm1'],
      ['client-leaves-lease-2000', 'workers', 2000, null],
      ['tab-client-leaves', 'tabs', d, null],
    ]);
    const row = leaveTargetRow(results(1300));
    expect(row[1]).toBe(
      'workers: 1150 ms after it left, 1500 ms after the CM failed; tabs: 1300 ms after it left, – ms after the CM failed',
    );
    expect(row.slice(3)).toEqual(['0.75x', 'yes']);
    expect(leaveTargetRow(results(2100)).slice(3)).toEqual(['1.05x', '**no**']);
    expect(leaveTargetRow(results(1300).slice(0, 3))[4]).toBe('**no**'); // tabs not run
    expect(leaveTargetRow([])[4]).toBe('not measured');
    const never = [{ id: 'client-leaves', kind: 'scenario', result: leaveResult('client-leaves', d, [left(null)]) } as StepResult];
    expect(leaveTargetRow(never)[1]).toMatch(/^workers: – ms after it left/);
  });

  it("leave the departed client's pages out of completion, and its runs out of the failover target", () => {
    const t = targetsTable(results(1300));
    expect(t).toMatch(/\| 3 of 3 complete; 3 proven linearizable \|/);
    // The 5 s in client-leaves-then-cm-fails includes the new CM's wait for c3's report: not a failover figure.
    expect(t).toMatch(/unavailability after the acting CM fails[^\n]*\| not measured \|/);
    expect(t).toMatch(/a client leaves for good[^\n]*\| yes \|/);
  });

  it('get a table of their own with what the client held, when writes came back and the lease traffic', () => {
    const section = leaveSection(results(1300)).join('\n');
    expect(section).toContain('### A client leaves for good');
    expect(section).toContain(
      '| client-leaves-then-cm-fails | workers | 1000 | P2; P5 | 1100 ms (P5) | 1500 ms (P1) | 90/100 (90.00%) | 10 (P2) | 100% | 10 | linearizable |',
    );
    expect(section).toContain('| tab-client-leaves | tabs | 1000 | P2; P5 | 1300 ms (P5) | – |');
    expect(section).toMatch(/\| tab-client-leaves \|[^\n]*\| – \| linearizable \|/);
    expect(leaveSection([])).toEqual([]);
    const doc = resultsDocument(results(1300), { quick: false, date: '2000-01-01' });
    expect(doc).toContain('### A client leaves for good');
    // Not repeated in the table of CM faults.
    expect(doc.split('### Faults and unavailability')[1]?.split('###')[0]).not.toContain('client-leaves');
  });
});

describe('the page layout of the leave scenarios', () => {
  it('gives the leaver pages of its own and pages to read, and leaves pages untouched until the leave and until the CM fails', () => {
    expect(leaveLayout(10, true)).toEqual({
      leaverWrites: ['P1', 'P2'],
      leaverReads: ['P3', 'P4'],
      othersOnly: ['P5', 'P6'],
      freshAtLeave: ['P7', 'P8'],
      freshAtCmFail: ['P9', 'P10'],
    });
    expect(leaveLayout(10, false)?.freshAtLeave).toEqual(['P7', 'P8', 'P9', 'P10']);
    expect(leaveLayout(4, false)?.freshAtLeave).toEqual(['P4']);
    expect(leaveLayout(4, true)).toBeNull();
    const l = leaveLayout(10, true)!;
    const w = (page: string): OpRequest => ({ kind: 'write', page, value: 'v' });
    const r = (page: string): OpRequest => ({ kind: 'read', page });
    const leaver = ruleBeforeLeave(l, true);
    expect([w('P1'), w('P3'), r('P3'), r('P1'), r('P7')].map((op) => allows(leaver, op))).toEqual([true, false, true, false, false]);
    // The others read the leaver's pages (so it owns them with copies out) but never write them.
    const others = ruleBeforeLeave(l, false);
    expect([r('P1'), w('P1'), w('P3'), w('P6'), r('P7'), w('P9')].map((op) => allows(others, op))).toEqual([
      true,
      false,
      true,
      true,
      false,
      false,
    ]);
    const after = ruleAfterLeave(l);
    expect([w('P1'), w('P8'), r('P9'), w('P10')].map((op) => allows(after, op))).toEqual([true, true, false, false]);
    expect(allows(null, w('P10'))).toBe(true);
  });

  it("keeps the leaver's operations towards holding a page and a copy to its pages", () => {
    const rule = ruleBeforeLeave(leaveLayout(10, true)!, true);
    const plan = { client: 3, pages: 10, opsMax: 10, rule };
    expect(holdingOp({ owned: [], copies: [] }, plan, 0)).toEqual({ kind: 'write', page: 'P1', value: '3.leaving1' });
    expect(holdingOp({ owned: [], copies: ['P1'] }, plan, 0)).toEqual({ kind: 'write', page: 'P2', value: '3.leaving1' });
    expect(holdingOp({ owned: ['P1'], copies: [] }, plan, 1)).toEqual({ kind: 'read', page: 'P4' });
    expect(holdingOp({ owned: ['P1'], copies: ['P4'] }, plan, 1)).toEqual({ kind: 'read', page: 'P3' });
  });

  it('passes over the operations its rule does not allow, asking the rule before each', async () => {
    const submitted: string[] = [];
    let rule: PageRule = { read: ['P1'], write: [] };
    const submit = (op: OpRequest): Promise<OpResult> => {
      submitted.push(`${op.kind} ${op.page}`);
      if (submitted.length === 2) rule = null;
      return Promise.resolve({ ok: true, value: 'v', local: false });
    };
    const ops: OpRequest[] = [
      { kind: 'read', page: 'P2' },
      { kind: 'read', page: 'P1' },
      { kind: 'write', page: 'P1', value: 'a' },
      { kind: 'read', page: 'P1' },
      { kind: 'write', page: 'P2', value: 'b' },
    ];
    const done = await runOps(submit, { ops }, () => rule);
    expect(submitted).toEqual(['read P1', 'read P1', 'write P2']);
    expect(done.map((o) => o.page)).toEqual(['P1', 'P1', 'P2']);
  });
});
