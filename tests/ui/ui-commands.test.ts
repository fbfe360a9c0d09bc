import { describe, expect, it } from 'vitest';
import type { OpResult } from '../../src/protocol/node.ts';
import { parseCommand, USAGE, writeContentError } from '../../src/console/commands.ts';
import { describeResult, printLines, type PrintableState } from '../../src/console/format.ts';
import { randomRequests, runCommand, type CommandTarget } from '../../src/console/run-command.ts';
import { CommandTickets } from '../../src/console/text.ts';
import type { NodeState } from '../../src/host/make-node.ts';

describe('parseCommand', () => {
  it('reads the seed commands as typed in its terminals', () => {
    expect(parseCommand('writePage P1 Content1')).toEqual({ kind: 'write', page: 'P1', content: 'Content1' });
    expect(parseCommand('  readPage P1 ')).toEqual({ kind: 'read', page: 'P1' });
    expect(parseCommand('print')).toEqual({ kind: 'print' });
    expect(parseCommand('READPAGE p2')).toEqual({ kind: 'read', page: 'p2' });
  });

  it('keeps everything after the page id as content, inner spaces included', () => {
    expect(parseCommand('writePage P1 hello   big world')).toEqual({ kind: 'write', page: 'P1', content: 'hello   big world' });
    expect(parseCommand('writePage P1 <img src=x>')).toMatchObject({ content: '<img src=x>' });
  });

  it('keeps leading and trailing spaces of content and refuses empty content, as the card form does', () => {
    expect(parseCommand('writePage P1  padded  ')).toEqual({ kind: 'write', page: 'P1', content: ' padded  ' });
    expect(parseCommand('writePage P1 ')).toMatchObject({ kind: 'invalid' });
    expect(writeContentError('')).toMatch(/takes a page id and content/);
    expect(writeContentError(' ')).toBeNull();
  });

  it.each([
    ['', /empty command/],
    ['   ', /empty command/],
    ['readPage', /readPage takes one page id/],
    ['readPage P1 P2', /readPage takes one page id/],
    ['writePage', /writePage takes a page id and content/],
    ['writePage P1', /writePage takes a page id and content/],
    ['print now', /print takes no arguments/],
    ['deletePage P1', /unknown command "deletePage"/],
  ])('answers %j with a usage line', (line, error) => {
    const c = parseCommand(line);
    expect(c.kind).toBe('invalid');
    if (c.kind === 'invalid') {
      expect(c.error).toMatch(error);
      expect(c.error).toContain(USAGE);
    }
  });
});

describe('describeResult', () => {
  it('says a never-written page has not been written yet', () => {
    expect(describeResult('read', 'P1', { ok: true, value: null, local: false }).text).toBe('P1 has not been written yet');
  });

  it('tells a local hit from a fetch, and flags failures', () => {
    expect(describeResult('read', 'P1', { ok: true, value: 'v', local: true })).toEqual({ ok: true, text: 'P1: v (local copy)' });
    expect(describeResult('write', 'P1', { ok: true, value: 'v', local: false }).text).toBe('P1 written: v (via the CM)');
    const failed = describeResult('write', 'P1', { ok: false, error: 'boom', certain: false });
    expect(failed).toEqual({ ok: false, text: 'error: writePage P1 failed: boom (it may still have taken effect)' });
  });
});

const cmState: PrintableState = {
  role: 'cm',
  snapshot: {
    id: 'cm1',
    pages: [
      { page: 'P1', owner: 'c1', copySet: ['c2', 'c3'], version: 1, active: null, queued: [] },
      {
        page: 'P2',
        owner: null,
        copySet: [],
        version: 0,
        active: { kind: 'write', req: 'c2:4', requester: 'c2', phase: 'invalidating' },
        queued: ['c3:1'],
      },
      { page: 'P3', owner: null, copySet: [], version: 2, active: null, queued: [], note: 'waiting for c3 to report' },
    ],
  },
};

const clientState: NodeState = {
  role: 'client',
  snapshot: {
    id: 'c2',
    cm: 'cm1',
    epoch: 1,
    leased: true,
    unreplicated: [],
    inFlight: null,
    queued: 0,
    pages: [{ page: 'P1', content: 'Content1', version: 1, access: 'read', owner: false }],
  },
};

describe('printLines', () => {
  it('shows the CM metadata: owner, copy set, queued requests and why a page waits', () => {
    expect(printLines(cmState)).toEqual([
      'cm1 metadata:',
      'page | owner | copy set | queued requests            | note',
      'P1   | c1    | c2, c3   | -                          | -',
      'P2   | -     | -        | c2:4 (write, active), c3:1 | -',
      'P3   | -     | -        | -                          | waiting for c3 to report',
    ]);
  });

  it('shows a client page store, and says when there is nothing yet', () => {
    expect(printLines(clientState)).toEqual(['c2 page store:', 'page | content  | access | owner', 'P1   | Content1 | read   | no']);
    expect(printLines({ role: 'client', snapshot: { ...clientState.snapshot, pages: [] } as never })).toEqual([
      'c2 page store: no pages yet',
    ]);
  });
});

describe('runCommand', () => {
  const calls: string[] = [];
  const node: CommandTarget = {
    readPage: async (page) => (calls.push(`read ${page}`), { ok: true, value: null, local: false } as OpResult),
    writePage: async (page, c) => (calls.push(`write ${page} ${c}`), { ok: false, error: 'nope', certain: true } as OpResult),
    snapshot: async () => clientState,
    forget: async (member) => (
      calls.push(`forget ${member}`),
      member === 'c9' ? 'error: c9 is not a member of this cluster' : `forgot ${member}`
    ),
  };

  it('sends well-formed commands to the node and nothing else', async () => {
    calls.length = 0;
    expect(await runCommand('readPage P1', node)).toEqual({ ok: true, lines: ['P1 has not been written yet'] });
    expect(await runCommand('writePage P1 x y', node)).toEqual({ ok: false, lines: ['error: writePage P1 failed: nope'] });
    expect((await runCommand('print', node)).lines[0]).toBe('c2 page store:');
    expect(await runCommand('bogus', node)).toMatchObject({ ok: false, lines: [expect.stringContaining(USAGE)] });
    expect(calls).toEqual(['read P1', 'write P1 x y']);
  });

  it('forgets a member on the node, and shows a refusal as an error', async () => {
    calls.length = 0;
    expect(await runCommand('forget c3', node)).toEqual({ ok: true, lines: ['forgot c3'] });
    expect(await runCommand('forget c9', node)).toEqual({ ok: false, lines: ['error: c9 is not a member of this cluster'] });
    expect(await runCommand('forget', node)).toMatchObject({ ok: false, lines: [expect.stringContaining('forget takes one member id')] });
    expect(await runCommand('forget c3 c4', node)).toMatchObject({ ok: false });
    expect(calls).toEqual(['forget c3', 'forget c9']);
  });

  it("runs the seed's x: ten requests over P1 to P10, half reads, and a line that counts them", async () => {
    calls.length = 0;
    expect(parseCommand('x')).toEqual({ kind: 'random' });
    expect(parseCommand('x 5')).toMatchObject({ kind: 'invalid', error: expect.stringContaining('x takes no arguments') });
    // A fixed sequence of draws: the page (P1 + 10r), read or write (write when r < 0.5), a write's content.
    const draws = [0.05, 0.9, 0.95, 0.1, 0.55, 0.2, 0.3];
    let i = 0;
    const answer = await randomRequests(node, () => draws[i++ % draws.length]!);
    expect(calls.slice(0, 3)).toEqual(['read P1', 'write P10 x2-550', 'write P3 x3-50']);
    expect(calls).toHaveLength(10);
    expect(answer.ok).toBe(false);
    expect(answer.lines).toHaveLength(11);
    expect(answer.lines.at(-1)).toMatch(/^10 random requests: \d+ served, \d+ failed$/);
  });

  it('names the command an answer belongs to when a later command was typed before it came', () => {
    const t = new CommandTickets();
    const first = t.take();
    const second = t.take();
    expect(t.name(second, 'restartBackup', ['started cm2'])).toEqual(['started cm2']);
    expect(t.name(first, 'kill cm2', ['killed cm2', 'more'])).toEqual(['kill cm2 → killed cm2', 'more']);
  });

  it('turns a failed control call into an error line', async () => {
    const dead: CommandTarget = { ...node, readPage: () => Promise.reject(new Error('c1 was killed; cannot readPage P1')) };
    expect(await runCommand('readPage P1', dead)).toEqual({ ok: false, lines: ['error: c1 was killed; cannot readPage P1'] });
  });
});

describe('content with bidirectional controls', () => {
  it('is shown with the controls as code points, so it cannot reverse the line it sits in', () => {
    const r = describeResult('read', 'P1', { ok: true, value: 'abc\u202Edef', local: true });
    expect(r.text).toBe('P1: abc<U+202E>def (local copy)');
    const rows = printLines({
      role: 'client',
      snapshot: { id: 'c1', pages: [{ page: 'P1', content: '\u2067x', version: 1, access: 'read', owner: false }] },
    } as PrintableState);
    expect(rows.join('\n')).toContain('<U+2067>x');
  });
});
