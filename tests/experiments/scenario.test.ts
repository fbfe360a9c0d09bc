// runScenario end to end on in-process workers: the numbers it reports must agree with each
// other and with the history it recorded. No timing is asserted.
import { afterEach, describe, expect, it } from 'vitest';
import { runScenario } from '../../src/experiments/run-scenario.ts';
import type { ScenarioConfig } from '../../src/experiments/types.ts';
import { checkLinearizable } from '../../src/check/checker.ts';
import { TIMING_DEFAULTS } from '../../src/protocol/config.ts';
import { inProcessEnv } from '../support/experiments-env.ts';
import { leaveLayout } from '../../src/experiments/page-layout.ts';

const env = inProcessEnv();
afterEach(() => env.stopAll());

const base: ScenarioConfig = {
  name: 'unit',
  clients: 3,
  pages: 4,
  readRatio: 0.5,
  opsPerClient: 30,
  seed: 1,
  backup: true,
  replication: 'streaming',
  faults: [],
  persist: false,
  keepHistory: true,
};

describe('runScenario', () => {
  it('runs every operation, counts them by kind and records a linearizable history', async () => {
    const r = await runScenario(base, () => {}, env);
    expect(r.issued).toBe(90);
    expect(r.ok).toBe(90);
    expect(r.completion).toBe(1);
    const byKind = r.latency.readHit.count + r.latency.readFault.count + r.latency.writeHit.count + r.latency.writeFault.count;
    expect(byKind).toBe(90);
    expect(r.faultLatency.count).toBe(r.latency.readFault.count + r.latency.writeFault.count);
    expect(r.history?.filter((e) => e.type === 'invoke')).toHaveLength(90);
    expect(r.linearizable).toBe(true);
    expect(checkLinearizable(r.history ?? []).ok).toBe(true);
    // Every fault sends at least a request and gets a page; hits send nothing.
    expect(r.messagesPerOp.READ_REQUEST ?? 0).toBeCloseTo(r.latency.readFault.count / 90, 1);
    expect(r.messagesPerOpTotal).toBeGreaterThan(0);
  });

  it('runs the same workload in packed placement: the same operations, messages counted, a linearizable history', async () => {
    const perNode = await runScenario({ ...base, name: 'unit-per-node', persist: true }, () => {}, env);
    const packed = await runScenario({ ...base, name: 'unit-packed', persist: true, placement: 'packed' }, () => {}, env);
    expect(packed.config.placement).toBe('packed');
    expect([packed.issued, packed.ok, packed.linearizable]).toEqual([90, 90, true]);
    // The ops are drawn from the seed alone: the same reads and writes wherever the nodes run.
    const ops = (r: typeof packed) =>
      r.history
        ?.filter((e) => e.type === 'invoke')
        .map((e) => `${e.process}:${e.f}:${e.key}`)
        .sort();
    expect(ops(packed)).toEqual(ops(perNode));
    // Messages between neighbours are counted as those between workers are.
    expect(packed.messagesPerOp.READ_REQUEST ?? 0).toBeCloseTo(packed.latency.readFault.count / 90, 1);
  });

  it('kills and restarts a CM that shares its worker with clients, in packed placement', async () => {
    const r = await runScenario(
      {
        ...base,
        name: 'unit-packed-restart',
        opsPerClient: 400,
        persist: true,
        placement: 'packed',
        faults: [
          { atMs: 100, action: 'kill', node: 'cm1' },
          { atMs: 600, action: 'restart', node: 'cm1' },
        ],
      },
      () => {},
      env,
    );
    expect(r.faults.map((f) => [f.action, f.applied, f.roleWhenKilled])).toEqual([
      ['kill', true, 'acting'],
      ['restart', true, undefined],
    ]);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(r.issued);
    expect(r.linearizable).toBe(true);
  });

  it('survives a primary kill and restart with every operation done and a linearizable history', async () => {
    const r = await runScenario(
      {
        // Lists, not a duration: on a starved machine a fault due at a time may wake after a timed
        // workload ended, while a list outlasts the failover the kill brings.
        ...base,
        name: 'unit-restart',
        // Enough to outlast the restart at 600 ms on a fast machine (commits of changes alone are quick).
        opsPerClient: 2000,
        persist: true,
        faults: [
          { atMs: 100, action: 'kill', node: 'cm1' },
          { atMs: 600, action: 'restart', node: 'cm1' },
        ],
      },
      () => {},
      env,
    );
    expect(r.faults.map((f) => [f.action, f.applied, f.roleWhenKilled])).toEqual([
      ['kill', true, 'acting'],
      ['restart', true, undefined],
    ]);
    expect(r.faults[0]?.unavailableMs).toBeGreaterThan(0);
    expect(r.issued).toBeGreaterThan(0);
    expect(r.errors).toEqual([]);
    expect(r.ok).toBe(r.issued);
    expect(r.linearizable).toBe(true);
    expect(r.history?.filter((e) => e.process === 'nemesis').map((e) => e.f)).toEqual(['crash', 'restart']);
  });

  it('has a client leave for good holding a page and a copy; writes to the page fail naming it, every other page takes writes again', async () => {
    // No duration: the others run their whole lists, so the leave (due at the start) always comes first.
    const r = await runScenario(
      {
        ...base,
        name: 'unit-leave',
        opsPerClient: 300,
        timing: { leaseMs: TIMING_DEFAULTS.leaseMs },
        faults: [{ atMs: 0, action: 'leave', node: 'c3' }],
      },
      () => {},
      env,
    );
    const [leave] = r.faults;
    expect(leave).toMatchObject({ action: 'leave', node: 'c3', applied: true });
    expect(leave?.held?.owned.length).toBeGreaterThan(0);
    expect(leave?.held?.copies.length).toBeGreaterThan(0);
    // The pages it owned are unavailable; every other page written after it left came back.
    for (const page of leave?.unavailablePages ?? []) expect(leave?.held?.owned).toContain(page);
    expect(leave?.neverBackPages).toEqual([]);
    expect(typeof leave?.writesBackMs).toBe('number');
    expect(r.expectedFailures).toBeGreaterThan(0);
    expect(r.errors.every((e) => /unavailable: .*\bc3\b/.test(e.error))).toBe(true);
    expect(r.history?.filter((e) => e.process === 'nemesis').map((e) => [e.f, e.value])).toEqual([['leave', 'c3']]);
    // c3's operations up to its departure are in the history, among them those that made it hold
    // what it held: a write of each page it owned and a read of each it had a copy of (its own
    // workload may have got it there before the leave began, or its leaving operations did).
    const mine = r.history?.filter((e) => e.process === 3 && e.type === 'ok') ?? [];
    for (const page of leave?.held?.owned ?? []) expect(mine.some((e) => e.f === 'write' && e.key === page)).toBe(true);
    for (const page of leave?.held?.copies ?? []) expect(mine.some((e) => e.f === 'read' && e.key === page)).toBe(true);
    expect(r.linearizable).toBe(true);
  });

  it('lays the workload out by page class when asked: each side keeps to its pages until the leave, and every class is measured', async () => {
    const r = await runScenario(
      {
        ...base,
        name: 'unit-classes',
        clients: 4,
        pages: 10,
        opsPerClient: 300,
        pageClasses: true,
        timing: { leaseMs: TIMING_DEFAULTS.leaseMs },
        faults: [{ atMs: 0, action: 'leave', node: 'c3' }],
      },
      () => {},
      env,
    );
    const leave = r.faults[0];
    const layout = leaveLayout(10, false)!;
    const invokes = r.history?.filter((e) => e.type === 'invoke') ?? [];
    const leaver = invokes.filter((e) => e.process === 3);
    expect(leaver.filter((e) => e.f === 'write').every((e) => layout.leaverWrites.includes(e.key ?? ''))).toBe(true);
    expect(leaver.filter((e) => e.f === 'read').every((e) => layout.leaverReads.includes(e.key ?? ''))).toBe(true);
    // Nobody touched the fresh pages before c3 left (the history's times and atMs both count from the start).
    const fresh = invokes.filter((e) => layout.freshAtLeave.includes(e.key ?? ''));
    expect(fresh.length).toBeGreaterThan(0);
    expect(fresh.every((e) => e.time >= (leave?.atMs ?? Infinity))).toBe(true);
    const byClass = Object.fromEntries((leave?.byClass ?? []).map((c) => [c.class, c]));
    expect(byClass.owned?.pages.every((p) => layout.leaverWrites.includes(p))).toBe(true);
    for (const p of layout.freshAtLeave) expect(byClass['never-written']?.pages).toContain(p);
    // Owned pages stay unavailable while c3 is away; those failures, and only those, are explained.
    expect(byClass.owned?.unavailable).toEqual(byClass.owned?.pages);
    expect(r.unexplained).toBeUndefined();
    expect(r.completionExceptExpected).toBe(1);
  });

  it('refuses a basic-Ivy scenario that fails the backup it does not have', async () => {
    await expect(
      runScenario({ ...base, backup: false, faults: [{ atMs: 1, action: 'kill', node: 'cm2' }] }, () => {}, env),
    ).rejects.toThrow(/no cm2/);
  });
});
