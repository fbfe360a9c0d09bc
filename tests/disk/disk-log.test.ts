// The log a node's state is kept in (src/disk): records framed with a length and a checksum, so
// that a tail torn at any byte is dropped and the last whole record read; one append per write
// window for every node of a thread; a snapshot first and after each compaction; a home file
// for a node that leaves a log that goes on; recovery of the newest state from whatever files a
// store holds; and a sweep that folds the logs of ended writers without losing a newer state.
import { describe, expect, it } from 'vitest';
import { crc32 } from '../../src/disk/crc32.ts';
import { frame, unframe } from '../../src/disk/frames.ts';
import { COMPACT_MIN_BYTES, LogWriter } from '../../src/disk/log-writer.ts';
import { MemoryVolume } from '../../src/disk/memory-volume.ts';
import { recoverNode } from '../../src/disk/recover.ts';
import { decodeFile, encodeRecord, homeName, logName, type LogRecord } from '../../src/disk/records.ts';
import { readNodeState, sweep } from '../../src/disk/store-ops.ts';
import type { LogFile, Volume } from '../../src/disk/volume.ts';
import type { Durability } from '../../src/protocol/config.ts';
import { entryKey, type DurableEntry } from '../../src/protocol/durable.ts';

const page = (p: string, content: string, version: number): DurableEntry => ({
  kind: 'page',
  page: p,
  owned: { content, version, access: 'write' },
});

/** A node's table the test changes by hand, as a client's would change. */
class Table {
  readonly entries = new Map<string, DurableEntry>();
  set(e: DurableEntry): DurableEntry {
    this.entries.set(e.kind === 'page' ? `page ${e.page}` : e.kind, e);
    return e;
  }
  list = (): DurableEntry[] => [...this.entries.values()];
}

/** Write windows the test closes by hand (run), and timers it fires by hand (runTimers). */
function handWindows(): { schedule: (f: () => void) => void; later: (f: () => void) => void; run(): void; runTimers(): void } {
  const queued: Array<() => void> = [];
  const timers: Array<() => void> = [];
  return {
    schedule: (f) => queued.push(f),
    later: (f) => timers.push(f),
    run: () => {
      while (queued.length > 0) queued.shift()!();
    },
    runTimers: () => {
      for (const f of timers.splice(0)) f();
    },
  };
}

function writer(volume: Volume, durability: Durability = 'process', compactMinBytes?: number) {
  const w = handWindows();
  const windows = { endOfTask: w.schedule, afterQueuedTasks: w.schedule, after: (_ms: number, f: () => void) => w.later(f) };
  const log = new LogWriter(volume, { writer: 'aa', durability, windows, ...(compactMinBytes ? { compactMinBytes } : {}) });
  return { log, run: w.run, runTimers: w.runTimers };
}

/** Commits `changes` for `node` through `disk` and runs the window; resolves with the commit's outcome. */
function commit(
  disk: { commit: (c: DurableEntry[], d: (e: Error | null) => void) => void },
  changes: DurableEntry[],
): Error | null | 'open' {
  let outcome: Error | null | 'open' = 'open';
  disk.commit(changes, (e) => {
    outcome = e;
  });
  return outcome;
}

function stored(v: MemoryVolume) {
  return [...v.files].map(([name, f]) => ({ name, bytes: f.bytes }));
}

/** CRC-32 a bit at a time, as the standard defines it: what the eight-bytes-a-step one must equal. */
function crcBitwise(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return ~c >>> 0;
}

describe('frames', () => {
  it('checksum eight bytes a step exactly as a bit at a time, at every length and split', () => {
    const bytes = new Uint8Array(300).map((_, i) => (i * 151 + 7) & 0xff);
    for (let n = 0; n <= bytes.length; n++) expect(crc32(bytes.subarray(0, n)), `length ${n}`).toBe(crcBitwise(bytes.subarray(0, n)));
    for (const cut of [1, 7, 8, 9, 150]) expect(crc32(bytes.subarray(cut), crc32(bytes.subarray(0, cut)))).toBe(crcBitwise(bytes));
  });

  it('checksum the length too, so a run of zeros is no frame', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
    expect(unframe(new Uint8Array(64))).toEqual({ payloads: [], goodBytes: 0, tornBytes: 64 });
    const f = frame(new Uint8Array([1, 2, 3]));
    expect(unframe(f).payloads).toEqual([new Uint8Array([1, 2, 3])]);
  });

  it('a log cut at every byte of its last two records reads back every record before the cut', () => {
    const records: LogRecord[] = [
      { t: 'head', v: 1, writer: 'aa', gen: 1 },
      { t: 'snap', node: 'c1', lsn: 1, entries: [{ kind: 'client', cm: 'cm1', epoch: 1, seq: 1024 }] },
      { t: 'delta', node: 'c1', lsn: 2, changes: [page('P1', 'a', 1)] },
      { t: 'delta', node: 'c1', lsn: 3, changes: [page('P1', 'b ünïcödé', 2), page('P2', 'x'.repeat(300), 1)] },
    ];
    const parts = records.map(encodeRecord);
    const whole = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    const ends: number[] = [];
    let at = 0;
    for (const p of parts) {
      whole.set(p, at);
      at += p.length;
      ends.push(at);
    }
    for (let cut = ends[1]!; cut <= whole.length; cut++) {
      const whole2 = ends.filter((e) => e <= cut).length;
      const d = decodeFile(whole.slice(0, cut));
      expect(d.records, `cut at ${cut}`).toEqual(records.slice(0, whole2));
      // Torn bytes run to the last byte that is not zero (a length's high bytes often are).
      let last = cut;
      while (last > ends[whole2 - 1]! && whole[last - 1] === 0) last--;
      expect(d.tornBytes).toBe(last - ends[whole2 - 1]!);
      // The state read is the last whole record's.
      const s = recoverNode([{ name: logName('aa', 1), bytes: whole.slice(0, cut) }], 'c1').state;
      expect(s?.lsn).toBe(whole2 - 1);
    }
  });

  it('does not count the zeros of a file grown ahead of its appends as a torn tail', () => {
    const a = encodeRecord({ t: 'snap', node: 'c1', lsn: 1, entries: [page('P1', 'a', 1)] });
    const grown = new Uint8Array(a.length + 4096);
    grown.set(a);
    expect(decodeFile(grown)).toMatchObject({ tornBytes: 0, problem: null });
    grown[a.length + 5] = 9;
    expect(decodeFile(grown).tornBytes).toBe(6);
  });

  it('drops a tail whose bytes were garbled, and everything after it', () => {
    const a = encodeRecord({ t: 'snap', node: 'c1', lsn: 1, entries: [page('P1', 'a', 1)] });
    const b = encodeRecord({ t: 'delta', node: 'c1', lsn: 2, changes: [page('P1', 'b', 2)] });
    const c = encodeRecord({ t: 'delta', node: 'c1', lsn: 3, changes: [page('P1', 'c', 3)] });
    const bytes = new Uint8Array([...a, ...b, ...c]);
    bytes[a.length + 12]! ^= 0x40;
    const s = recoverNode([{ name: logName('aa', 1), bytes }], 'c1');
    expect(s.state?.entries).toEqual([page('P1', 'a', 1)]);
    expect(s.torn).toEqual([{ name: logName('aa', 1), bytes: b.length + c.length, problem: null }]);
  });

  it('refuses a record a checksum vouches for but this version cannot read, and says so', () => {
    const good = encodeRecord({ t: 'snap', node: 'c1', lsn: 1, entries: [page('P1', 'a', 1)] });
    const odd = frame(
      new TextEncoder().encode(JSON.stringify({ t: 'delta', node: 'c1', lsn: 2, changes: [{ kind: 'page', page: 'P1', owned: 7 }] })),
    );
    const d = decodeFile(new Uint8Array([...good, ...odd]));
    expect(d.records).toHaveLength(1);
    expect(d.problem).toBe('bad page entry');
  });
});

describe('the log writer', () => {
  it("writes every node's commits of one window in one append, each node's first record a snapshot", () => {
    const v = new MemoryVolume();
    let appends = 0;
    const counting: Volume = {
      create: (name, done) =>
        v.create(name, (e, f) =>
          done(e, f && { usable: true, append: (b, fl, d) => ((appends += 1), f.append(b, fl, d)), close: () => f.close() }),
        ),
      remove: (name) => v.remove(name),
    };
    const { log, run } = writer(counting);
    const t1 = new Table();
    const t2 = new Table();
    const d1 = log.attach('c1', 0, t1.list);
    const d2 = log.attach('c2', 5, t2.list);
    const outcomes = [commit(d1, [t1.set(page('P1', 'a', 1))]), commit(d2, [t2.set(page('P2', 'b', 1))])];
    expect(outcomes).toEqual(['open', 'open']);
    run();
    expect(appends).toBe(1);
    const { records } = decodeFile(v.files.get(log.currentFile)!.bytes);
    expect(records.map((r) => (r.t === 'head' ? 'head' : `${r.t} ${r.node} ${r.lsn}`))).toEqual(['head', 'snap c1 1', 'snap c2 6']);
    // The next window carries only what changed.
    let done: Error | null | 'open' = 'open';
    d1.commit([t1.set(page('P1', 'a2', 2))], (e) => (done = e));
    run();
    expect(done).toBeNull();
    expect(appends).toBe(2);
    const again = decodeFile(v.files.get(log.currentFile)!.bytes).records.at(-1);
    expect(again).toEqual({ t: 'delta', node: 'c1', lsn: 2, changes: [page('P1', 'a2', 2)] });
    expect(recoverNode(stored(v), 'c1').state).toEqual({ lsn: 2, entries: [page('P1', 'a2', 2)] });
    expect(recoverNode(stored(v), 'c2').state).toEqual({ lsn: 6, entries: [page('P2', 'b', 1)] });
  });

  it('flushes at disk durability and not at process', () => {
    for (const durability of ['process', 'disk'] as const) {
      const v = new MemoryVolume();
      const { log, run } = writer(v, durability);
      const t = new Table();
      const d = log.attach('c1', 0, t.list);
      commit(d, [t.set(page('P1', 'a', 1))]);
      run();
      const f = v.files.get(log.currentFile)!;
      expect(f.flushed).toBe(durability === 'disk' ? f.bytes.length : 0);
    }
  });

  it('compacts past its bound: the next generation starts with a snapshot of every node, and the old file goes', () => {
    const v = new MemoryVolume();
    const { log, run } = writer(v, 'process', 2048);
    const t1 = new Table();
    const t2 = new Table();
    const d1 = log.attach('c1', 0, t1.list);
    const d2 = log.attach('c2', 0, t2.list);
    commit(d2, [t2.set(page('Q', 'kept', 1))]);
    run();
    const first = log.currentFile;
    for (let i = 1; i <= 40; i++) {
      commit(d1, [t1.set(page('P1', `value ${i}`.padEnd(80, '.'), i))]);
      run();
    }
    expect(log.currentFile).not.toBe(first);
    expect(v.files.has(first)).toBe(false);
    expect(log.bytes).toBeLessThan(2048 + 200);
    const s = stored(v);
    expect(recoverNode(s, 'c1').state?.entries).toEqual([page('P1', 'value 40'.padEnd(80, '.'), 40)]);
    expect(recoverNode(s, 'c2').state?.entries).toEqual([page('Q', 'kept', 1)]);
    // Recovery reads one snapshot and a bounded tail: the new file starts with both nodes' snapshots.
    const records = decodeFile(v.files.get(log.currentFile)!.bytes).records;
    expect(records.slice(0, 3).map((r) => r.t)).toEqual(['head', 'snap', 'snap']);
  });

  it('keeps a client of 10,000 pages to one snapshot and a bounded tail: recovery reads at most twice the snapshot and a compaction bound', () => {
    const v = new MemoryVolume();
    const { log, run } = writer(v);
    const t = new Table();
    for (let p = 1; p <= 10_000; p++) t.set(page(`P${p}`, `value of P${p}`.padEnd(100, '.'), 1));
    const d = log.attach('c1', 0, t.list);
    commit(d, [page('P1', `value of P1`.padEnd(100, '.'), 1)]);
    run();
    const snapshotBytes = log.bytes;
    // Write hits, one page each, until the log has compacted a few times.
    let written = 0;
    for (let i = 2; written < 3 * COMPACT_MIN_BYTES; i++) {
      const e = t.set(page(`P${1 + (i % 10_000)}`, `hit ${i}`.padEnd(100, '.'), i));
      commit(d, [e]);
      run();
      written += 160;
      expect(log.bytes).toBeLessThanOrEqual(Math.max(COMPACT_MIN_BYTES, 2 * snapshotBytes) + 1024);
    }
    const files = stored(v);
    expect(files).toHaveLength(1);
    const r = recoverNode(files, 'c1');
    expect(r.state?.entries).toHaveLength(10_000);
    expect(JSON.stringify([...r.state!.entries].sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : 1)))).toBe(
      JSON.stringify(t.list().sort((a, b) => (entryKey(a) < entryKey(b) ? -1 : 1))),
    );
  });

  it('gives a node that leaves while others stay a home file, and compacts without it after', () => {
    const v = new MemoryVolume();
    const { log, run } = writer(v, 'process', 1024);
    const t1 = new Table();
    const t2 = new Table();
    const d1 = log.attach('c1', 0, t1.list);
    const d2 = log.attach('c2', 0, t2.list);
    commit(d1, [t1.set(page('P1', 'mine', 1))]);
    commit(d2, [t2.set(page('P2', 'theirs', 1))]);
    run();
    // c1 also changed something it never committed: leaving is a crash, but what it held is a state it had.
    t1.set(page('P1', 'mine, later', 2));
    let left: Error | null | 'open' = 'open';
    log.detach('c1', (e) => (left = e));
    expect(left).toBeNull();
    expect(v.files.has(homeName('c1', 2))).toBe(true);
    for (let i = 2; i < 30; i++) {
      commit(d2, [t2.set(page('P2', `theirs ${i}`.padEnd(60, '.'), i))]);
      run();
    }
    expect(decodeFile(v.files.get(log.currentFile)!.bytes).records.some((r) => r.t !== 'head' && r.node === 'c1')).toBe(false);
    expect(recoverNode(stored(v), 'c1').state).toEqual({ lsn: 2, entries: [page('P1', 'mine, later', 2)] });
  });

  it('the last node to leave closes the log as it stands: its next life reads it there', () => {
    const v = new MemoryVolume();
    const { log, run } = writer(v);
    const t = new Table();
    const d = log.attach('c1', 0, t.list);
    commit(d, [t.set(page('P1', 'a', 1))]);
    run();
    const file = log.currentFile;
    log.detach('c1', () => {});
    expect(v.files.get(file)?.held).toBe(false);
    expect([...v.files.keys()]).toEqual([file]);
    expect(recoverNode(stored(v), 'c1').state?.lsn).toBe(1);
  });

  it('after a failed append, fails what it carried and starts a new file whose snapshot covers everything', () => {
    const v = new MemoryVolume();
    let failNext = false;
    /** A file whose next append, once failNext is set, leaves half of it there and the file unusable. */
    const brokenOnce = (f: LogFile): LogFile => {
      const file = {
        usable: true,
        append(b: Uint8Array, fl: boolean, d: (e: Error | null) => void): void {
          if (!failNext) return f.append(b, fl, d);
          failNext = false;
          file.usable = false;
          f.append(b.slice(0, b.length >> 1), fl, () => d(new Error('QuotaExceededError')));
        },
        close: () => f.close(),
      };
      return file;
    };
    const flaky: Volume = {
      create: (name, done) => v.create(name, (e, f) => done(e, f && brokenOnce(f))),
      remove: (name) => v.remove(name),
    };
    const { log, run } = writer(flaky);
    const t = new Table();
    const d = log.attach('c1', 0, t.list);
    commit(d, [t.set(page('P1', 'a', 1))]);
    run();
    const broken = log.currentFile;
    failNext = true;
    let outcome: Error | null | 'open' = 'open';
    d.commit([t.set(page('P1', 'b', 2))], (e) => (outcome = e));
    run();
    expect(String(outcome)).toContain('QuotaExceededError');
    // The host tries again (after a while); the writer has moved to a new file.
    let retried: Error | null | 'open' = 'open';
    d.commit([page('P1', 'b', 2)], (e) => (retried = e));
    run();
    expect(retried).toBeNull();
    expect(log.currentFile).not.toBe(broken);
    expect(v.files.has(broken)).toBe(false);
    expect(recoverNode(stored(v), 'c1').state?.entries).toEqual([page('P1', 'b', 2)]);
  });

  it('after a write a full disk refused (the file as it was), tries again in the same file and makes no new one', () => {
    const v = new MemoryVolume();
    let full = false;
    const made: string[] = [];
    const tight: Volume = {
      create: (name, done) => {
        made.push(name);
        v.create(name, (e, f) =>
          done(
            e,
            f && {
              usable: true,
              append: (b, fl, d) => (full ? d(new Error('QuotaExceededError')) : f.append(b, fl, d)),
              close: () => f.close(),
            },
          ),
        );
      },
      remove: (name) => v.remove(name),
    };
    const { log, run } = writer(tight);
    const t = new Table();
    const d = log.attach('c1', 0, t.list);
    commit(d, [t.set(page('P1', 'a', 1))]);
    run();
    full = true;
    let outcome: Error | null | 'open' = 'open';
    d.commit([t.set(page('P1', 'b', 2))], (e) => (outcome = e));
    run();
    expect(String(outcome)).toContain('QuotaExceededError');
    full = false;
    let retried: Error | null | 'open' = 'open';
    d.commit([page('P1', 'b', 2)], (e) => (retried = e));
    run();
    expect(retried).toBeNull();
    expect(made).toEqual([log.currentFile]);
    expect(recoverNode(stored(v), 'c1').state?.entries).toEqual([page('P1', 'b', 2)]);
  });

  it('notices its file removed from under it (Clear site data) and writes every node whole in a new one at once', () => {
    const v = new MemoryVolume();
    const w = handWindows();
    const said: string[] = [];
    const windows = { endOfTask: w.schedule, afterQueuedTasks: w.schedule, after: (_ms: number, f: () => void) => w.later(f) };
    const log = new LogWriter(v, { writer: 'aa', durability: 'process', windows, log: (t) => said.push(t) });
    const t1 = new Table();
    const t2 = new Table();
    const d1 = log.attach('c1', 0, t1.list);
    const d2 = log.attach('c2', 0, t2.list);
    commit(d1, [t1.set(page('P1', 'acknowledged', 1))]);
    commit(d2, [t2.set(page('P2', 'x', 1))]);
    w.run();
    const first = log.currentFile;
    // The watch finds the file there: nothing happens.
    w.runTimers();
    w.run();
    expect(log.currentFile).toBe(first);
    expect(said).toEqual([]);
    // Removed with its handle still open; appends to the handle would go where nothing reads them.
    v.files.delete(first);
    w.runTimers();
    w.run();
    expect(said[0]).toMatch(new RegExp(`log ${first}, which held the state of c1, c2, was removed from under them`));
    expect(log.currentFile).not.toBe(first);
    // No node committed anything since, yet both are stored whole again, as a crash now would find them.
    expect(recoverNode(stored(v), 'c1').state?.entries).toEqual([page('P1', 'acknowledged', 1)]);
    expect(recoverNode(stored(v), 'c2').state?.entries).toEqual([page('P2', 'x', 1)]);
    expect(said[1]).toBe(`the state of c1, c2 is stored again, whole, in log ${log.currentFile}`);
    // Later commits go to the new file.
    commit(d1, [t1.set(page('P1', 'after', 2))]);
    w.run();
    expect(recoverNode(stored(v), 'c1').state?.entries).toEqual([page('P1', 'after', 2)]);
  });

  it('holds a leaving node until its home is stored, trying again, and compacts nothing of it meanwhile', () => {
    const v = new MemoryVolume();
    let full = true;
    const noRoom: Volume = {
      create: (name, done) => (full && name.startsWith('home-') ? done(new Error('QuotaExceededError'), null) : v.create(name, done)),
      remove: (name) => v.remove(name),
    };
    const { log, run, runTimers } = writer(noRoom, 'process', 1024);
    const t1 = new Table();
    const t2 = new Table();
    const d1 = log.attach('c1', 0, t1.list);
    const d2 = log.attach('c2', 0, t2.list);
    commit(d1, [t1.set(page('P1', 'mine', 1))]);
    commit(d2, [t2.set(page('P2', 'x', 1))]);
    run();
    let left: Error | null | 'open' = 'open';
    log.detach('c1', (e) => (left = e));
    for (let i = 2; i < 40; i++) {
      commit(d2, [t2.set(page('P2', `x ${i}`.padEnd(60, '.'), i))]);
      run();
      runTimers();
    }
    // Not let go (its lock stays held), and still in the log, which has not compacted.
    expect(left).toBe('open');
    expect(recoverNode(stored(v), 'c1').state?.entries).toEqual([page('P1', 'mine', 1)]);
    full = false;
    runTimers();
    expect(left).toBeNull();
    expect(v.files.has(homeName('c1', 2))).toBe(true);
    expect(recoverNode(stored(v), 'c1').state).toEqual({ lsn: 2, entries: [page('P1', 'mine', 1)] });
  });
});

describe('a store shared by writers that come and go', () => {
  /** A log of an ended writer holding `node` at `lsn`. */
  function deadLog(v: MemoryVolume, writerId: string, node: string, lsn: number, content: string): void {
    v.put(
      logName(writerId, 1),
      new Uint8Array([
        ...encodeRecord({ t: 'head', v: 1, writer: writerId, gen: 1 }),
        ...encodeRecord({ t: 'snap', node, lsn, entries: [page('P1', content, lsn)] }),
      ]),
    );
  }

  it('recovers the newest state any file holds for a node, whatever the file', async () => {
    const v = new MemoryVolume();
    deadLog(v, 'aa', 'c1', 3, 'old');
    deadLog(v, 'bb', 'c1', 7, 'new');
    deadLog(v, 'cc', 'c2', 9, 'another node');
    const r = await readNodeState(v, 'c1');
    expect(r.lsn).toBe(7);
    expect(r.state?.entries).toEqual([page('P1', 'new', 7)]);
  });

  it('folds the logs of ended writers into homes, leaves a live one alone, and never drops a newer state', async () => {
    const v = new MemoryVolume();
    deadLog(v, 'aa', 'c1', 3, 'older than its home');
    deadLog(v, 'bb', 'c2', 4, 'only here');
    deadLog(v, 'dd', 'c3', 2, 'held by a writer that runs');
    v.files.get(logName('dd', 1))!.held = true;
    v.put(homeName('c1', 5), encodeRecord({ t: 'snap', node: 'c1', lsn: 5, entries: [page('P1', 'home', 5)] }));
    // A home torn by a crash while it was written counts for nothing.
    v.put(homeName('c2', 9), encodeRecord({ t: 'snap', node: 'c2', lsn: 9, entries: [] }).slice(0, 10));
    const s = await sweep(v, (w) => w === 'zz');
    expect(s.logs.sort()).toEqual([logName('aa', 1), logName('bb', 1)]);
    expect(s.homes).toEqual([homeName('c2', 4)]);
    expect([...v.files.keys()].sort()).toEqual([homeName('c1', 5), homeName('c2', 4), homeName('c2', 9), logName('dd', 1)].sort());
    expect((await readNodeState(v, 'c1')).state?.entries).toEqual([page('P1', 'home', 5)]);
    expect((await readNodeState(v, 'c2')).state?.entries).toEqual([page('P1', 'only here', 4)]);
    expect((await readNodeState(v, 'c3')).state?.entries).toEqual([page('P1', 'held by a writer that runs', 2)]);
  });

  it("writes no home for a state the sweeping writer's own log already holds a newer one of", async () => {
    const v = new MemoryVolume();
    deadLog(v, 'aa', 'c1', 3, 'the last life');
    const s = await sweep(
      v,
      (w) => w === 'zz',
      (node, lsn) => node === 'c1' && lsn <= 4,
    );
    expect(s).toEqual({ logs: [logName('aa', 1)], homes: [] });
    expect([...v.files.keys()]).toEqual([]);
  });

  it('reads again when a file it listed was removed meanwhile (a compaction or a sweep elsewhere)', async () => {
    const v = new MemoryVolume();
    deadLog(v, 'aa', 'c1', 3, 'moved');
    let first = true;
    const racing = Object.assign(Object.create(v) as MemoryVolume, {
      read: async (name: string) => {
        if (first && name === logName('aa', 1)) {
          first = false;
          // Folded into a home and removed between the listing and the read.
          v.put(homeName('c1', 3), encodeRecord({ t: 'snap', node: 'c1', lsn: 3, entries: [page('P1', 'moved', 3)] }));
          v.files.delete(name);
          return null;
        }
        return v.read(name);
      },
    });
    expect((await readNodeState(racing, 'c1')).state?.entries).toEqual([page('P1', 'moved', 3)]);
  });

  it('fails rather than recover from a partial view when files keep going between listing and reading', async () => {
    const v = new MemoryVolume();
    deadLog(v, 'aa', 'c1', 3, 'older');
    deadLog(v, 'zz', 'c1', 50, 'newest');
    // A writer that compacts between every listing and read: the first log is never there to read.
    const churning = Object.assign(Object.create(v) as MemoryVolume, {
      read: async (name: string) => (name === logName('aa', 1) ? null : v.read(name)),
    });
    await expect(readNodeState(churning, 'c1')).rejects.toThrow(/kept changing while c1's state was read/);
  });

  it('flushes the homes it writes, whatever durability the sweeping writer keeps', async () => {
    const v = new MemoryVolume();
    deadLog(v, 'aa', 'c2', 7, 'acknowledged at disk durability');
    await sweep(v, () => false);
    const home = v.files.get(homeName('c2', 7))!;
    expect(home.flushed).toBe(home.bytes.length);
  });
});
