// Proof that the checker and invariants bite: a CM that skips invalidation (it pretends every
// copy holder confirmed at once) must be caught on some seed; and so must a client that takes
// ownership nobody asked it for, once the hostile fault forges transfers between clients.
import { describe, expect, it } from 'vitest';
import { ClientNode, type PageEntry } from '../../src/protocol/client.ts';
import { CentralManager, type ManagerSnapshot } from '../../src/protocol/manager.ts';
import type { Message, PageSend } from '../../src/protocol/messages.ts';
import type { Ready } from '../../src/protocol/node.ts';
import type { DurableEntry } from '../../src/protocol/durable.ts';
import { runAndCheck } from '../../src/sim/run.ts';
import { faultyShape } from '../../src/sim/sweep.ts';
import type { SimManager } from '../../src/sim/simulator.ts';

/** Wraps the real CM and swallows its INVALIDATEs, answering them itself. */
class SkipsInvalidation implements SimManager {
  private readonly inner: CentralManager;
  constructor(readonly id: string) {
    this.inner = new CentralManager({ id });
  }
  step(m: Message, now: number): void {
    this.inner.step(m, now);
  }
  tick(now: number): void {
    this.inner.tick(now);
  }
  nextDeadline(): number {
    return this.inner.nextDeadline();
  }
  snapshot(): ManagerSnapshot {
    return this.inner.snapshot();
  }
  forget(member: string, now: number): string {
    return this.inner.forget(member, now);
  }
  durableEntries(): DurableEntry[] {
    return this.inner.durableEntries();
  }
  ready(): Ready {
    const out: Ready = { messages: [], events: [] };
    for (let r = this.inner.ready(); r.messages.length + r.events.length > 0; r = this.inner.ready()) {
      out.events.push(...r.events);
      for (const m of r.messages) {
        if (m.type !== 'INVALIDATE') {
          out.messages.push(m);
          continue;
        }
        this.inner.step({ ...m, type: 'INVALIDATE_CONFIRMATION', from: m.to, to: this.id }, 0);
      }
    }
    return out;
  }
}

describe('a deliberately broken core', () => {
  it('is caught by the linearizability checker alone', () => {
    const caughtBy: number[] = [];
    for (let seed = 1; seed <= 20 && caughtBy.length === 0; seed++) {
      const o = runAndCheck({
        seed,
        clients: 4,
        pages: 2,
        ops: 200,
        readRatio: 0.7,
        checkInvariants: false,
        makeManager: (id) => new SkipsInvalidation(id),
      });
      if (!o.check.ok) caughtBy.push(seed);
    }
    expect(caughtBy.length).toBe(1);
  });

  it('is caught by the invariants at the step where it goes wrong', () => {
    const o = runAndCheck({
      seed: 1,
      clients: 4,
      pages: 2,
      ops: 200,
      readRatio: 0.7,
      makeManager: (id) => new SkipsInvalidation(id),
    });
    expect(o.sim.violations.join('\n')).toMatch(/written by c\d+ while \d+ others hold copies|copy set/);
  });
});

/** The client's hook for ownership that answers no write in flight (client.ts), to break. */
type Unasked = { keepUnasked(m: PageSend, seq: number, held: PageEntry | undefined): void; pages: Map<string, PageEntry> };

describe('a client that takes ownership it never asked for', () => {
  it('is caught on a hostile seed: the forged transfer makes it a second writer', () => {
    const proto = ClientNode.prototype as unknown as Unasked;
    const keep = proto.keepUnasked;
    // As before the fix: the page is installed writable, whoever sent it under whatever number.
    proto.keepUnasked = function (this: Unasked, m, seq, held) {
      keep.call(this, m, seq, held);
      const e = this.pages.get(m.page);
      if (e?.owner && e.access === 'nil') e.access = 'write';
    };
    const caught: Array<{ seed: number; problem: string }> = [];
    try {
      for (let seed = 1; seed <= 40 && caught.length === 0; seed++) {
        const o = runAndCheck(faultyShape(seed, ['hostile']));
        if (o.problems.length > 0) caught.push({ seed, problem: o.problems[0]! });
      }
    } finally {
      proto.keepUnasked = keep;
    }
    expect(caught).toEqual([
      { seed: expect.any(Number), problem: expect.stringMatching(/has (writers|owners)|disagree|not linearizable/) },
    ]);
    // Restored, the same seed runs clean.
    expect(runAndCheck(faultyShape(caught[0]!.seed, ['hostile'])).problems).toEqual([]);
  });
});

describe('a CM that grants a page nobody owns before the standby has it on record', () => {
  it('is caught on a takeover seed: the new CM serves the page as never written while its grantee holds it', () => {
    const proto = CentralManager.prototype as unknown as { grantRecorded(page: string, req: string): boolean };
    const recorded = proto.grantRecorded;
    proto.grantRecorded = () => true;
    const caught: Array<{ seed: number; problem: string }> = [];
    try {
      for (let seed = 1; seed <= 40 && caught.length === 0; seed++) {
        const o = runAndCheck(faultyShape(seed, ['crash-primary']));
        if (o.problems.length > 0) caught.push({ seed, problem: o.problems[0]! });
      }
    } finally {
      proto.grantRecorded = recorded;
    }
    expect(caught).toEqual([
      { seed: expect.any(Number), problem: expect.stringMatching(/not linearizable|owners|writers|hold copies|it is the owner/) },
    ]);
    expect(runAndCheck(faultyShape(caught[0]!.seed, ['crash-primary'])).problems).toEqual([]);
  });
});

/** The client's hook that starts a replica's round trip (client.ts), to break. */
type Replicating = {
  replicate(page: string, version: number, content: string | null, op: unknown, req: string | null): void;
  unreplicated: Map<string, unknown>;
  finish(op: unknown, result: unknown): void;
};

describe('a client that acknowledges a write without waiting for its replica (replicas: 1)', () => {
  it('is caught on a seed where an owner leaves for good: its page comes back older than an acknowledged write', () => {
    const proto = ClientNode.prototype as unknown as Replicating;
    const replicate = proto.replicate;
    // Fire and forget: the replica is sent once, the write acknowledged at once, the page served.
    proto.replicate = function (this: Replicating, page, version, content, op, req) {
      replicate.call(this, page, version, content, null, req);
      this.unreplicated.delete(page);
      if (op) this.finish(op, { ok: true, value: content, local: false });
    };
    const caught: Array<{ seed: number; problem: string }> = [];
    try {
      // Rare: an owner must leave for good between the acknowledgement and its lost replica (2 of
      // the first 400 seeds, the first at 221, since heartbeats answered with 0 ms grants moved
      // every schedule).
      for (let seed = 1; seed <= 400 && caught.length === 0; seed++) {
        const o = runAndCheck({ ...faultyShape(seed, ['leave-client']), replicas: 1 });
        if (o.problems.length > 0) caught.push({ seed, problem: o.problems[0]! });
      }
    } finally {
      proto.replicate = replicate;
    }
    expect(caught).toEqual([{ seed: expect.any(Number), problem: expect.stringMatching(/not linearizable/) }]);
    expect(runAndCheck({ ...faultyShape(caught[0]!.seed, ['leave-client']), replicas: 1 }).problems).toEqual([]);
  });
});
