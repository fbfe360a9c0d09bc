// Frames a hostile or broken member could put on its links: to a central manager, garbage,
// extreme epochs and versions, ownership claims for pages it does not hold, requests in other
// clients' names, and messages only a CM may send; to another client, pages and ownership under
// request numbers that client never has in flight, and orders only a CM gives; and, holding a
// CM's identity, epochs no takeover could have made and grants nobody asked for. The nemesis
// sends a burst of them; the cluster must refuse or ignore every one (no takeover, no epoch
// raised, no page moved, split or lost, no client locked out).
//
// What no receiver can tell from the truth is left out: an answer naming the very request the
// receiver has in flight, and a CM's word for an epoch a takeover could have made (its own
// parity, within EPOCH_JUMP_MAX): docs/security.md says what a key holder can still do.
//
// A report is what a client says it holds, and the CM has no other source for that: a report
// that leaves out a read copy the client holds would keep that copy from being invalidated, and
// nothing can tell it from the truth. So forged reports here say everything the client truly
// holds, and claim more on top; the claims on top are what the CM must not believe.
import type { NodeId } from '../protocol/ids.ts';
import type { ClientReport } from '../protocol/messages.ts';
import { EPOCH_JUMP_MAX, EPOCH_MAX, LIST_LENGTH_MAX, VERSION_MAX } from '../protocol/limits.ts';
import type { Rng } from './rng.ts';

export interface HostileContext {
  from: NodeId;
  to: NodeId;
  /** The epoch the cluster runs at, so that some frames are just above it. */
  epoch: number;
  pages: readonly string[];
  clients: readonly NodeId[];
  /** What the client's own report would say now (its pages, request in flight, handoffs). */
  truth: Pick<ClientReport, 'pages' | 'inFlight' | 'handoffs'>;
}

type Maker = (rng: Rng, c: HostileContext) => unknown;

const EXTREME_EPOCHS = [Number.MAX_SAFE_INTEGER, 2 ** 53, EPOCH_MAX, EPOCH_MAX + 1, -1, 1.5, NaN];
const EXTREME_VERSIONS = [VERSION_MAX, VERSION_MAX + 1, Number.MAX_SAFE_INTEGER, 2 ** 60, -3];

function epochNear(rng: Rng, c: HostileContext): number {
  return rng.chance(0.5) ? rng.pick(EXTREME_EPOCHS) : c.epoch + 1 + rng.int(5);
}

function header(rng: Rng, c: HostileContext, type: string): Record<string, unknown> {
  return { type, from: c.from, to: c.to, epoch: rng.chance(0.5) ? c.epoch : epochNear(rng, c) };
}

const ownReq = (rng: Rng, c: HostileContext): string => `${c.from}:${1 + rng.int(1e9)}`;

const MAKERS: readonly Maker[] = [
  // Not a message at all.
  (rng) => rng.pick([null, 42, 'PULSE', [], { type: 'NO_SUCH_TYPE' }, { type: 'PULSE' }]),
  // A well-formed request at an extreme or too-new epoch.
  (rng, c) => ({
    ...header(rng, c, rng.pick(['READ_REQUEST', 'WRITE_REQUEST'])),
    epoch: epochNear(rng, c),
    page: rng.pick(c.pages),
    req: ownReq(rng, c),
  }),
  // A claim of ownership for a write nobody forwarded to it.
  (rng, c) => ({
    ...header(rng, c, 'WRITE_CONFIRMATION'),
    page: rng.pick(c.pages),
    req: ownReq(rng, c),
    version: rng.chance(0.5) ? rng.pick(EXTREME_VERSIONS) : 1 + rng.int(1000),
  }),
  // Its true report, plus ownership of pages it does not hold.
  (rng, c) => ({
    ...header(rng, c, 'CLIENT_REPORT'),
    answers: rng.int(1000),
    pages: [
      ...c.truth.pages,
      ...c.pages
        .filter((p) => !c.truth.pages.some((t) => t.page === p) && rng.chance(0.5))
        .map((page) => ({
          page,
          access: 'write',
          owner: true,
          version: rng.chance(0.3) ? rng.pick(EXTREME_VERSIONS) : 1 + rng.int(1000),
        })),
    ],
    inFlight: c.truth.inFlight,
    handoffs: c.truth.handoffs,
  }),
  // A request in another client's name.
  (rng, c) => ({ ...header(rng, c, 'WRITE_REQUEST'), page: rng.pick(c.pages), req: `${rng.pick(c.clients)}:${1 + rng.int(100)}` }),
  // What only a CM may say: take-the-title-back, pulses, replicated metadata.
  (rng, c) =>
    rng.pick([
      { ...header(rng, c, 'IM_BACK') },
      { ...header(rng, c, 'PULSE'), acked: rng.int(1000), ack: rng.chance(0.5) },
      {
        ...header(rng, c, 'PULSE_REPLY'),
        seq: 1 + rng.int(1000),
        acting: true,
        members: [],
        away: [...c.clients],
        meta: [],
        full: true,
        uncertain: [],
        urgent: true,
        replicas: [{ page: rng.pick(c.pages), version: 1e6, content: 'forged' }],
      },
      {
        ...header(rng, c, 'CM_STATE'),
        members: [c.from],
        meta: [],
        complete: true,
        uncertain: [],
        replicas: [{ page: rng.pick(c.pages), version: 1e6, content: 'forged' }],
      },
      {
        ...header(rng, c, 'PULSE_REPLY'),
        seq: 1 + rng.int(1000),
        acting: true,
        members: [c.from],
        away: [],
        meta: [{ page: rng.pick(c.pages), owner: c.from, copySet: [], version: 1e6 }],
        full: false,
        uncertain: [...c.clients],
        urgent: false,
        replicas: [],
      },
      { ...header(rng, c, 'CHANGE_CM'), ask: rng.int(1000) },
    ]),
  // Page ids that are names every object has, and lists past their bounds.
  (rng, c) =>
    rng.chance(0.5)
      ? { ...header(rng, c, 'READ_REQUEST'), page: rng.pick(['__proto__', 'constructor', 'toString']), req: ownReq(rng, c) }
      : {
          ...header(rng, c, 'CLIENT_REPORT'),
          answers: 0,
          inFlight: c.truth.inFlight,
          handoffs: [],
          pages: Array.from({ length: LIST_LENGTH_MAX + 1 }, () => ({ page: 'P1', access: 'read', owner: false, version: 0 })),
        },
];

export function hostileFrame(rng: Rng, c: HostileContext): unknown {
  return rng.pick(MAKERS)(rng, c);
}

/** What a frame to a client may be built from: the receiver's request in flight is never named. */
export interface ToClientContext {
  from: NodeId;
  to: NodeId;
  /** The epoch the cluster runs at. */
  epoch: number;
  pages: readonly string[];
  /** The receiver's request in flight, if any, and the highest request number it has used. */
  inFlight: string | null;
  seq: number;
}

/** A request number of the receiver's other than its request in flight: ones it used (given up, answered) or never did. */
function otherReq(rng: Rng, c: ToClientContext): string {
  for (;;) {
    const n = rng.chance(0.5) ? 1 + rng.int(Math.max(1, c.seq)) : c.seq + 1 + rng.int(1e9);
    const req = `${c.to}:${n}`;
    if (req !== c.inFlight) return req;
  }
}

const PAGE_VERSIONS = (rng: Rng): number => (rng.chance(0.3) ? VERSION_MAX : rng.int(1000));

function toClient(rng: Rng, c: ToClientContext, type: string, epoch = c.epoch): Record<string, unknown> {
  return { type, from: c.from, to: c.to, epoch };
}

const CLIENT_TO_CLIENT: readonly ((rng: Rng, c: ToClientContext) => unknown)[] = [
  // Ownership, or a read copy, under a request number the receiver does not have in flight.
  (rng, c) => ({
    ...toClient(rng, c, 'PAGE'),
    page: rng.pick(c.pages),
    req: otherReq(rng, c),
    access: rng.chance(0.7) ? 'write' : 'read',
    content: rng.chance(0.2) ? null : `forged-${rng.int(1e6)}`,
    version: PAGE_VERSIONS(rng),
  }),
  // A page for another client's request.
  (rng, c) => ({
    ...toClient(rng, c, 'PAGE'),
    page: rng.pick(c.pages),
    req: `${c.from}:${1 + rng.int(100)}`,
    access: 'write',
    content: 'forged',
    version: 1,
  }),
  // Orders only a CM gives.
  (rng, c) => ({
    ...toClient(rng, c, rng.pick(['INVALIDATE', 'READ_FORWARD', 'WRITE_FORWARD', 'REQUEST_FAILED'])),
    page: rng.pick(c.pages),
    req: otherReq(rng, c),
    requester: c.from,
    reason: 'forged',
    away: null,
  }),
];

/** Epochs no takeover could have made: beyond the bound, or of the other CM's parity. */
function impossibleEpoch(rng: Rng, c: ToClientContext): number {
  const own = c.from === 'cm1' ? 1 : 0;
  const wrongParity = c.epoch + 1 + rng.int(6);
  return rng.pick([
    EPOCH_MAX - ((EPOCH_MAX - own) % 2),
    c.epoch + EPOCH_JUMP_MAX + 1 + rng.int(1000),
    wrongParity % 2 === own ? wrongParity + 1 : wrongParity,
    -1,
    2 ** 53,
  ]);
}

const CM_TO_CLIENT: readonly ((rng: Rng, c: ToClientContext) => unknown)[] = [
  (rng, c) => ({ ...toClient(rng, c, 'CHANGE_CM', impossibleEpoch(rng, c)), ask: rng.int(1000) }),
  // A grant of ownership (or a copy) nobody asked for, at the cluster's epoch or an older one.
  (rng, c) => ({
    ...toClient(rng, c, 'PAGE', rng.int(c.epoch + 1)),
    page: rng.pick(c.pages),
    req: otherReq(rng, c),
    access: rng.chance(0.7) ? 'write' : 'read',
    content: null,
    version: PAGE_VERSIONS(rng),
  }),
  // A lease for a heartbeat never sent, and a failure of a request not in flight.
  (rng, c) =>
    rng.chance(0.5)
      ? { ...toClient(rng, c, 'LEASE_GRANT', rng.int(c.epoch + 1)), n: 1e9 + rng.int(1e6), ms: 1e6 }
      : {
          ...toClient(rng, c, 'REQUEST_FAILED', rng.int(c.epoch + 1)),
          page: rng.pick(c.pages),
          req: otherReq(rng, c),
          reason: 'forged',
          away: null,
        },
];

export function clientToClientFrame(rng: Rng, c: ToClientContext): unknown {
  return rng.pick(CLIENT_TO_CLIENT)(rng, c);
}

export function cmToClientFrame(rng: Rng, c: ToClientContext): unknown {
  return rng.pick(CM_TO_CLIENT)(rng, c);
}
