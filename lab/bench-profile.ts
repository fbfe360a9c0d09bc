// Reads a V8 CPU profile of `npm run bench -- --profile DIR` and prints, per message kind,
// where step() spent its samples: the source lines that were running (self time, inlined
// callees included), their share of that kind's time, and the kind's share of all samples.
// The bench delivers each kind through a function named after it (lab/bench-cluster.ts),
// which is how a sample is assigned to a kind. Garbage collection runs outside any stack, so
// it is given as a total.
import type { MessageType } from '../src/protocol/messages.ts';

type Frame = { functionName: string; url: string; lineNumber: number };
type ProfileNode = { id: number; callFrame: Frame; children?: number[]; positionTicks?: { line: number; ticks: number }[] };
export type CpuProfile = { nodes: ProfileNode[]; samples: number[]; timeDeltas: number[] };
/** The bundle's lines by script URL, to print what each sampled line says. */
export type Sources = (url: string) => readonly string[] | undefined;

const SHOWN_PER_KIND = 10;
const CODE_WIDTH_MAX = 110;

/** Self time per profile node, and the kind each node runs under (null: outside any kind). */
function attribute(
  p: CpuProfile,
  kinds: ReadonlySet<string>,
): { selfUs: Map<number, number>; kindOf: (id: number) => string | null; totalUs: number; gcUs: number } {
  const parent = new Map<number, number>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const memo = new Map<number, string | null>();
  const kindOf = (id: number): string | null => {
    const known = memo.get(id);
    if (known !== undefined) return known;
    const name = byId.get(id)?.callFrame.functionName ?? '';
    const up = parent.get(id);
    const k = kinds.has(name) ? name : up === undefined ? null : kindOf(up);
    memo.set(id, k);
    return k;
  };
  const selfUs = new Map<number, number>();
  let totalUs = 0;
  let gcUs = 0;
  p.samples.forEach((id, i) => {
    const dt = p.timeDeltas[i] ?? 0;
    totalUs += dt;
    if (byId.get(id)?.callFrame.functionName === '(garbage collector)') gcUs += dt;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
  });
  return { selfUs, kindOf, totalUs, gcUs };
}

/** A node's self time spread over its lines in proportion to their ticks. */
function lineShares(n: ProfileNode, us: number): [number, number][] {
  const ticks = n.positionTicks ?? [];
  const all = ticks.reduce((a, t) => a + t.ticks, 0);
  if (all === 0) return [[n.callFrame.lineNumber + 1, us]];
  return ticks.map((t) => [t.line, (us * t.ticks) / all]);
}

export function profileLines(p: CpuProfile, kinds: readonly MessageType[], sources: Sources): string[] {
  const out: string[] = [];
  const { selfUs, kindOf, totalUs, gcUs } = attribute(p, new Set(kinds));
  const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)}%`;
  const perKind = new Map<string, Map<string, number>>();
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    const k = kindOf(n.id);
    if (us === 0 || k === null) continue;
    const lines = perKind.get(k) ?? new Map<string, number>();
    for (const [line, share] of lineShares(n, us)) {
      const code = (sources(n.callFrame.url)?.[line - 1] ?? '').trim().slice(0, CODE_WIDTH_MAX);
      const key = `${n.callFrame.functionName || '(anonymous)'}: ${code}`;
      lines.set(key, (lines.get(key) ?? 0) + share);
    }
    perKind.set(k, lines);
  }
  out.push(
    `CPU profile: ${(totalUs / 1000).toFixed(0)} ms sampled, garbage collection ${pct(gcUs, totalUs)} of it (not assignable to a kind)`,
  );
  const rows = [...perKind].map(([k, lines]) => [k, lines, [...lines.values()].reduce((a, b) => a + b, 0)] as const);
  for (const [kind, lines, us] of rows.sort((a, b) => b[2] - a[2])) {
    out.push(`${kind}: ${pct(us, totalUs)} of all samples`);
    const top = [...lines].sort((a, b) => b[1] - a[1]).slice(0, SHOWN_PER_KIND);
    for (const [line, t] of top) out.push(`  ${pct(t, us).padStart(6)}  ${line}`);
  }
  return out;
}
