// Frames a hostile or broken client could put on its link to a central manager: garbage,
// extreme epochs and versions, ownership claims for pages it does not hold, requests in other
// clients' names, and messages only a CM may send. The nemesis sends a burst of them; the
// cluster must refuse or ignore every one (no takeover, no epoch raised, no page moved or lost).
//
// A report is what a client says it holds, and the CM has no other source for that: a report
// that leaves out a read copy the client holds would keep that copy from being invalidated, and
// nothing can tell it from the truth. So forged reports here say everything the client truly
// holds, and claim more on top; the claims on top are what the CM must not believe.
import type { NodeId } from '../protocol/ids.ts';
import type { ClientReport } from '../protocol/messages.ts';
import { EPOCH_MAX, LIST_LENGTH_MAX, VERSION_MAX } from '../protocol/limits.ts';
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
      { ...header(rng, c, 'PULSE') },
      { ...header(rng, c, 'PULSE_REPLY'), seq: 1 + rng.int(1000), acting: true, members: [], away: [...c.clients], meta: [], full: true },
      { ...header(rng, c, 'CM_STATE'), members: [c.from], meta: [] },
      {
        ...header(rng, c, 'PULSE_REPLY'),
        seq: 1 + rng.int(1000),
        acting: true,
        members: [c.from],
        away: [],
        meta: [{ page: rng.pick(c.pages), owner: c.from, copySet: [], version: 1e6 }],
        full: false,
      },
      { ...header(rng, c, 'CHANGE_CM') },
    ]),
  // Page ids that are names every object has, and lists past their bounds.
  (rng, c) =>
    rng.chance(0.5)
      ? { ...header(rng, c, 'READ_REQUEST'), page: rng.pick(['__proto__', 'constructor', 'toString']), req: ownReq(rng, c) }
      : {
          ...header(rng, c, 'CLIENT_REPORT'),
          inFlight: c.truth.inFlight,
          handoffs: [],
          pages: Array.from({ length: LIST_LENGTH_MAX + 1 }, () => ({ page: 'P1', access: 'read', owner: false, version: 0 })),
        },
];

export function hostileFrame(rng: Rng, c: HostileContext): unknown {
  return rng.pick(MAKERS)(rng, c);
}
