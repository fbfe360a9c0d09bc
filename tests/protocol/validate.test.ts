// The wire validator: anything from another worker, tab or machine passes parseMessage first.
import { describe, it, expect } from 'vitest';
import type { Message } from '../../src/protocol/messages.ts';
import { CLUSTER_PAGES_MAX, EPOCH_MAX, FRAME_ITEMS_MAX, LIST_LENGTH_MAX, VERSION_MAX } from '../../src/protocol/limits.ts';
import { parseMessage, type FieldsOf, type Parsed, type WireFields } from '../../src/protocol/validate.ts';

const PAGE_SIZE = 4096;
const head = { from: 'c1', to: 'cm1', epoch: 1, page: 'P1', req: 'c1:1' };

/** One well-formed message of every kind. */
const WELL_FORMED: Message[] = [
  { type: 'READ_REQUEST', ...head },
  { type: 'WRITE_REQUEST', ...head },
  { type: 'READ_FORWARD', ...head, from: 'cm1', to: 'c2', requester: 'c1' },
  { type: 'WRITE_FORWARD', ...head, from: 'cm2', to: 'c2', requester: 'c1' },
  { type: 'PAGE', ...head, from: 'c2', to: 'c1', access: 'read', content: 'hello', version: 3 },
  { type: 'PAGE', ...head, from: 'cm1', to: 'c1', access: 'write', content: null, version: 0 },
  { type: 'READ_CONFIRMATION', ...head },
  { type: 'WRITE_CONFIRMATION', ...head, version: 4 },
  { type: 'INVALIDATE', ...head, from: 'cm1', to: 'c3' },
  { type: 'INVALIDATE_CONFIRMATION', ...head, from: 'c3' },
  { type: 'REQUEST_FAILED', ...head, from: 'cm1', to: 'c1', reason: 'the only copy was lost', away: null },
  {
    type: 'PULSE_REPLY',
    from: 'cm1',
    to: 'cm2',
    epoch: 1,
    seq: 7,
    acting: true,
    members: ['c1', 'c2'],
    away: ['c3'],
    meta: [
      { page: 'P1', owner: 'c1', copySet: ['c2'], version: 3 },
      { page: 'P2', owner: null, copySet: [], version: 0 },
    ],
    uncertain: ['c4'],
    urgent: true,
    full: false,
    replicas: [{ page: 'P1', version: 3, content: 'kept' }],
  },
  { type: 'REPLICATE', ...head, version: 3, content: 'kept' },
  { type: 'REPLICA_ACK', ...head, from: 'cm1', to: 'c1', version: 3 },
];

function parse(raw: unknown, pageSizeBytes = PAGE_SIZE): Parsed {
  let r: Parsed | undefined;
  expect(() => {
    r = parseMessage(raw, pageSizeBytes);
  }).not.toThrow();
  return r!;
}

/** The error for a raw value that must be rejected. */
function rejection(raw: unknown, pageSizeBytes = PAGE_SIZE): string {
  const r = parse(raw, pageSizeBytes);
  expect(r.ok).toBe(false);
  return r.ok ? '' : r.error;
}

const ok = (type: Message['type']): Record<string, unknown> => ({ ...WELL_FORMED.find((m) => m.type === type)! });

// The validator's tables are tied to messages.ts by their types: `npx tsc --noEmit` (run by
// npm test) fails when any of these drifts compiles, since each @ts-expect-error must be used.
export const DRIFT: unknown[] = [
  // @ts-expect-error a field the message does not declare
  { acked: 'count', extra: 'count' } satisfies WireFields<'PULSE'>,
  // @ts-expect-error a declared field left unchecked
  { n: 'count' } satisfies WireFields<'LEASE_GRANT'>,
  // @ts-expect-error a field checked as another type than it has
  { acked: 'bool' } satisfies WireFields<'PULSE'>,
  // @ts-expect-error a nullable field checked as never null
  { ...({ page: 'page', req: 'req' } as const), reason: 'reason', away: 'node' } satisfies WireFields<'REQUEST_FAILED'>,
  // @ts-expect-error a nested record with a field missing
  { page: 'page', owner: 'nullableNode', version: 'version' } satisfies FieldsOf<{
    page: string;
    owner: string | null;
    copySet: string[];
    version: number;
  }>,
];

describe('parseMessage: well-formed messages', () => {
  it.each(WELL_FORMED.map((m) => [`${m.type} ${m.type === 'PAGE' ? m.access : ''}`, m] as const))('accepts %s', (_name, m) => {
    expect(parse(JSON.parse(JSON.stringify(m)))).toEqual({ ok: true, message: m });
  });

  it('accepts the limits: 64-char page ids, 6-digit client numbers, 15-digit sequences, the highest epoch, a full page', () => {
    const m = {
      type: 'PAGE',
      from: 'c999999',
      to: 'c1',
      epoch: EPOCH_MAX,
      page: 'a'.repeat(64),
      req: `c999999:${'9'.repeat(15)}`,
      access: 'write',
      content: 'x'.repeat(PAGE_SIZE),
      version: 0,
    };
    expect(parse(m).ok).toBe(true);
    expect(parse({ ...m, content: 'é'.repeat(4) }, 8).ok).toBe(true);
  });

  it('strips unknown fields, keeping exactly the ones of its kind', () => {
    const r = parse({ ...ok('READ_FORWARD'), extra: 'x', content: 'smuggled', access: 'write' });
    expect(r.ok && Object.keys(r.message).sort()).toEqual(['epoch', 'from', 'page', 'req', 'requester', 'to', 'type']);
    // A field of another kind does not survive on this kind either.
    const w = parse({ ...ok('WRITE_REQUEST'), version: 9, requester: 'c2' });
    expect(w).toEqual({ ok: true, message: ok('WRITE_REQUEST') });
  });

  it('neither carries nor obeys a __proto__ key from the wire', () => {
    const raw: unknown = JSON.parse(
      '{"type":"READ_REQUEST","from":"c1","to":"cm1","epoch":1,"page":"P1","req":"c1:1","__proto__":{"polluted":true,"requester":"c2"}}',
    );
    const r = parse(raw);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(Object.hasOwn(r.message, '__proto__')).toBe(false);
    expect(Object.getPrototypeOf(r.message)).toBe(Object.prototype);
    expect((r.message as unknown as Record<string, unknown>).polluted).toBeUndefined();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    // A required field smuggled inside __proto__ does not count as present.
    const fwd: unknown = JSON.parse(
      '{"type":"READ_FORWARD","from":"cm1","to":"c1","epoch":1,"page":"P1","req":"c2:1","__proto__":{"requester":"c2"}}',
    );
    expect(rejection(fwd)).toBe('READ_FORWARD: requester: bad node id');
  });
});

describe('parseMessage: rejections, each with an error and never a throw', () => {
  it('rejects non-objects and arrays', () => {
    for (const raw of [null, undefined, 0, 1n, 'READ_REQUEST', true, Symbol('m'), () => 1, [], [ok('READ_REQUEST')]]) {
      expect(rejection(raw)).toBe('message is not an object');
    }
  });

  it('rejects unknown types, including names inherited from Object.prototype', () => {
    for (const type of ['READ', 'read_request', '', 'constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      expect(rejection({ ...ok('READ_REQUEST'), type })).toBe(`unknown message type ${JSON.stringify(type)}`);
    }
    expect(rejection({ ...ok('READ_REQUEST'), type: 3 })).toBe('unknown message type 3');
    expect(rejection({ ...head })).toMatch(/^unknown message type/);
  });

  it.each([
    ['from', 'bad from'],
    ['to', 'bad to'],
    ['epoch', 'bad epoch'],
    ['page', 'page: invalid page id'],
    ['req', 'req: bad request id'],
  ])('rejects a message without %s', (field, error) => {
    const raw = ok('WRITE_REQUEST');
    delete raw[field];
    expect(rejection(raw)).toContain(`WRITE_REQUEST: ${error}`);
  });

  it('bounds epochs and versions far below 2^53, so that one more is always exact', () => {
    expect(parse({ ...ok('INVALIDATE'), epoch: EPOCH_MAX }).ok).toBe(true);
    expect(parse({ ...ok('WRITE_CONFIRMATION'), version: VERSION_MAX }).ok).toBe(true);
    expect(rejection({ ...ok('WRITE_CONFIRMATION'), version: VERSION_MAX + 1 })).toMatch(/version: bad version/);
  });

  it('refuses page ids every object already has, which would bite code keying an object by page', () => {
    for (const page of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
      expect(rejection({ ...ok('READ_REQUEST'), page })).toMatch(/page: invalid page id .*reserved name/);
    }
  });

  it('bounds the items of all lists in one frame together, nested copy sets included', () => {
    const entry = (i: number) => ({ page: `P${i}`, owner: null, copySet: Array(64).fill('c1'), version: 0 });
    const fits = Math.floor(FRAME_ITEMS_MAX / 65);
    const reply = (n: number) => ({
      type: 'PULSE_REPLY',
      from: 'cm1',
      to: 'cm2',
      epoch: 1,
      seq: 1,
      acting: true,
      members: [],
      away: [],
      meta: Array.from({ length: n }, (_, i) => entry(i)),
      full: true,
      uncertain: [],
      urgent: false,
      replicas: [],
    });
    expect(parse(reply(fits)).ok).toBe(true);
    expect(LIST_LENGTH_MAX).toBeGreaterThan(fits + 1);
    expect(rejection(reply(fits + 1))).toMatch(/bad (node )?list/);
  });

  it('bounds the pages and handoffs one report names by the pages a cluster holds', () => {
    const held = (n: number) => Array.from({ length: n }, (_, i) => ({ page: `P${i}`, access: 'read', owner: false, version: 0 }));
    const gone = (n: number) => Array.from({ length: n }, (_, i) => ({ page: `P${i}`, to: 'c2', req: 'c1:1', version: 0 }));
    const report = { type: 'CLIENT_REPORT', answers: 1, from: 'c1', to: 'cm1', epoch: 1, inFlight: null };
    expect(parse({ ...report, pages: held(CLUSTER_PAGES_MAX), handoffs: [] }).ok).toBe(true);
    expect(rejection({ ...report, pages: held(CLUSTER_PAGES_MAX + 1), handoffs: [] })).toBe(
      `CLIENT_REPORT: pages: bad list (at most ${CLUSTER_PAGES_MAX} items, ${FRAME_ITEMS_MAX} in a frame)`,
    );
    expect(rejection({ ...report, pages: [], handoffs: gone(CLUSTER_PAGES_MAX + 1) })).toMatch(/^CLIENT_REPORT: handoffs: bad list/);
  });

  it('refuses a pulse reply whose metadata is not a list, or that does not say whether it is the whole', () => {
    expect(rejection({ ...ok('PULSE_REPLY'), meta: null })).toMatch(/^PULSE_REPLY: meta: bad list/);
    expect(rejection({ ...ok('PULSE_REPLY'), meta: [{ page: 'P1', owner: 'c1', copySet: ['c2'] }] })).toMatch(
      /^PULSE_REPLY: meta: version: bad version/,
    );
    expect(rejection({ ...ok('PULSE_REPLY'), full: undefined })).toBe('PULSE_REPLY: full: bad flag');
  });

  it('refuses content longer than the page before looking at its characters', () => {
    // A lone surrogate deep in an oversized string: the length alone decides.
    expect(rejection({ ...ok('PAGE'), content: `${'x'.repeat(PAGE_SIZE)}\uD800` })).toBe(
      `PAGE: content: content is ${PAGE_SIZE + 1} characters, more than the page size of ${PAGE_SIZE} bytes`,
    );
  });

  it('rejects bad node ids in from, to and requester', () => {
    for (const id of ['cm3', 'cm', 'c0', 'c01', 'c1234567', 'C1', 'c1 ', 'c-1', '', 7, null]) {
      expect(rejection({ ...ok('READ_REQUEST'), from: id })).toBe('READ_REQUEST: bad from');
      expect(rejection({ ...ok('READ_REQUEST'), to: id })).toBe('READ_REQUEST: bad to');
      expect(rejection({ ...ok('WRITE_FORWARD'), requester: id })).toBe('WRITE_FORWARD: requester: bad node id');
    }
  });

  it('rejects bad page ids', () => {
    for (const page of ['', 'P 1', 'P1\n', 'P.1', 'é', 'a'.repeat(65), 1, null, ['P1']]) {
      expect(rejection({ ...ok('READ_REQUEST'), page })).toMatch(/^READ_REQUEST: page: invalid page id /);
    }
  });

  it('rejects bad request ids', () => {
    for (const req of ['c1', 'c1:', ':1', 'cm1:1', 'c0:1', 'c1:-1', 'c1:1.5', 'c1:x', `c1:${'9'.repeat(16)}`, 'c1:1:2', ' c1:1', 11]) {
      expect(rejection({ ...ok('READ_REQUEST'), req })).toBe('READ_REQUEST: req: bad request id');
    }
  });

  it('rejects negative, fractional, non-finite, unsafe or non-numeric epochs', () => {
    for (const epoch of [
      -1,
      0.5,
      1.0000001,
      NaN,
      Infinity,
      EPOCH_MAX + 1,
      Number.MAX_SAFE_INTEGER,
      Number.MAX_SAFE_INTEGER + 1,
      '1',
      null,
      true,
    ]) {
      expect(rejection({ ...ok('INVALIDATE'), epoch })).toMatch(/^INVALIDATE: bad epoch/);
    }
    expect(parse({ ...ok('INVALIDATE'), epoch: 0 }).ok).toBe(true);
  });

  it('rejects bad versions and access', () => {
    for (const version of [-1, 2.5, '3', null, undefined]) {
      expect(rejection({ ...ok('WRITE_CONFIRMATION'), version })).toMatch(/^WRITE_CONFIRMATION: version: bad version/);
      expect(rejection({ ...ok('PAGE'), version })).toMatch(/^PAGE: version: bad version/);
    }
    for (const access of ['nil', 'READ', '', null, undefined]) {
      expect(rejection({ ...ok('PAGE'), access })).toBe('PAGE: access: bad access');
    }
  });

  it('rejects oversized content, counting UTF-8 bytes against the given page size', () => {
    expect(rejection({ ...ok('PAGE'), content: 'x'.repeat(PAGE_SIZE + 1) })).toBe(
      'PAGE: content: content is 4097 characters, more than the page size of 4096 bytes',
    );
    expect(rejection({ ...ok('PAGE'), content: 'ééééé' }, 8)).toBe('PAGE: content: content is 10 bytes; the page size is 8 bytes');
    expect(rejection({ ...ok('PAGE'), content: 'a\uD800' })).toBe('PAGE: content: content is not valid UTF-8 text (lone surrogate)');
  });

  it('rejects content of the wrong type, including a missing one', () => {
    for (const content of [1, true, ['x'], { s: 'x' }, undefined]) {
      expect(rejection({ ...ok('PAGE'), content })).toBe('PAGE: content: content must be a string');
    }
  });

  it('rejects a bad or overlong reason', () => {
    expect(rejection({ ...ok('REQUEST_FAILED'), reason: 'x'.repeat(501) })).toBe('REQUEST_FAILED: reason: bad reason');
    expect(rejection({ ...ok('REQUEST_FAILED'), reason: 5 })).toBe('REQUEST_FAILED: reason: bad reason');
    expect(parse({ ...ok('REQUEST_FAILED'), reason: 'x'.repeat(500) }).ok).toBe(true);
  });

  it('rejects huge strings in every field', () => {
    const huge = 'c'.repeat(1_000_000);
    expect(rejection({ ...ok('PAGE'), type: huge }).length).toBeLessThan(100);
    expect(rejection({ ...ok('PAGE'), from: huge })).toBe('PAGE: bad from');
    expect(rejection({ ...ok('PAGE'), req: huge })).toBe('PAGE: req: bad request id');
    expect(rejection({ ...ok('PAGE'), content: huge })).toBe(
      'PAGE: content: content is 1000000 characters, more than the page size of 4096 bytes',
    );
    expect(rejection({ ...ok('REQUEST_FAILED'), reason: huge })).toBe('REQUEST_FAILED: reason: bad reason');
    expect(rejection({ ...ok('PAGE'), page: huge })).toMatch(/^PAGE: page: invalid page id/);
  });

  it('rejects nested objects where strings belong', () => {
    expect(rejection({ ...ok('READ_FORWARD'), requester: { toString: () => 'c2' } })).toBe('READ_FORWARD: requester: bad node id');
    expect(rejection({ ...ok('READ_REQUEST'), from: { valueOf: () => 'c1' } })).toBe('READ_REQUEST: bad from');
  });

  // Structured clone (postMessage to a worker, MessagePort, BroadcastChannel) carries BigInts
  // and cyclic objects, so a hostile or buggy peer can send either. The validator builds its
  // error with JSON.stringify, which throws on both.
  it('rejects a BigInt message type without throwing', () => {
    expect(rejection({ ...ok('READ_REQUEST'), type: 10n })).toMatch(/^unknown message type/);
  });

  it('rejects a cyclic page id without throwing', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(rejection({ ...ok('READ_REQUEST'), page: cyclic })).toMatch(/invalid page id/);
  });
});
