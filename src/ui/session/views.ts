// What every protocol view draws from, live or replayed: arrows, operations, failure events
// and lanes over a time span. The live source recomputes only when the session changed.
import type { Arrow } from './arrows.ts';
import { matchArrows } from './arrows.ts';
import type { LiveSession } from './live-session.ts';
import { recordOps } from './ops.ts';
import { laneOrder } from './sequence-layout.ts';
import type { FailureEvent, OpRecord, Prehistory } from './types.ts';

export interface ViewSource {
  arrows: readonly Arrow[];
  ops: readonly OpRecord[];
  failures: readonly FailureEvent[];
  nodes: readonly string[];
  start: number;
  end: number;
  /** What the history did not see: values from before it, and whether it lost its beginning. */
  prehistory: Prehistory;
}

/** Pages seen in messages or operations, for the filter's list. */
export function pagesOf(src: Pick<ViewSource, 'arrows' | 'ops'>): string[] {
  const pages = new Set<string>();
  for (const a of src.arrows) if (a.page !== null && a.code !== 'RP') pages.add(a.page);
  for (const o of src.ops) pages.add(o.page);
  return [...pages].sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}

/** A recomputation may take at most this share of the main thread while messages pour in. */
const BUSY_SHARE_MAX = 0.2;

export class LiveSource {
  private cached: { version: number; epoch: number; source: ViewSource; at: number; tookMs: number } | null = null;

  constructor(
    private readonly session: LiveSession,
    private readonly now: () => number,
  ) {}

  get(): ViewSource {
    const version = this.session.version;
    const end = this.now();
    const c = this.cached;
    // With tens of thousands of messages kept, pairing them all takes tens of milliseconds: under
    // a stream of messages the views lag a little rather than take the page from its nodes.
    const fresh = c !== null && c.epoch === this.session.epoch;
    if (c && fresh && (c.version === version || performance.now() - c.at < c.tookMs / BUSY_SHARE_MAX)) return { ...c.source, end };
    const started = performance.now();
    const record = this.session.record();
    const ops = recordOps(record.ops);
    const arrows = matchArrows(record.messages, record.failures);
    const nodes = laneOrder([...this.session.nodes(), ...ops.map((o) => o.node)]);
    const { inherited, partial } = record;
    const source: ViewSource = {
      arrows,
      ops,
      failures: record.failures,
      nodes,
      start: this.session.startedAt,
      end,
      prehistory: { inherited, partial },
    };
    this.cached = { version, epoch: this.session.epoch, source, at: performance.now(), tookMs: performance.now() - started };
    return source;
  }
}
