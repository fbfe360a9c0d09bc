// Partitions between two running nodes, set on both ends of their link through the hosts'
// transport fault hooks. A partition belongs to the two workers it was set on: when either is
// killed or restarted its link is new, so the partition is forgotten (healed).
import type { Cluster } from '../../workers/cluster.ts';
import type { NodeHandle } from '../../workers/node-handle.ts';

export interface Partition {
  a: string;
  b: string;
}

export function pairKey(a: string, b: string): string {
  return a < b ? `${a}|${b}` : `${b}|${a}`;
}

export class LinkFaultsModel {
  private readonly cut = new Map<string, { a: NodeHandle; b: NodeHandle }>();
  private readonly stopCluster: () => void;

  constructor(
    private readonly cluster: Cluster,
    private readonly onFault: (kind: 'partition' | 'heal', a: string, b: string) => void,
    private readonly changed: () => void,
  ) {
    this.stopCluster = cluster.onChange(() => this.forgetGone());
  }

  partitions(): Partition[] {
    return [...this.cut.values()]
      .map(({ a, b }) => ({ a: a.id, b: b.id }))
      .sort((x, y) => pairKey(x.a, x.b).localeCompare(pairKey(y.a, y.b)));
  }

  isPartitioned(a: string, b: string): boolean {
    return this.cut.has(pairKey(a, b));
  }

  async partition(a: string, b: string): Promise<void> {
    const [ha, hb] = this.handles(a, b);
    await this.set(ha, hb, true);
    this.cut.set(pairKey(a, b), { a: ha, b: hb });
    this.onFault('partition', a, b);
    this.changed();
  }

  async heal(a: string, b: string): Promise<void> {
    const entry = this.cut.get(pairKey(a, b));
    if (!entry) return;
    this.cut.delete(pairKey(a, b));
    await this.set(entry.a, entry.b, false);
    this.onFault('heal', a, b);
    this.changed();
  }

  dispose(): void {
    this.stopCluster();
  }

  private handles(a: string, b: string): [NodeHandle, NodeHandle] {
    if (a === b) throw new Error('pick two different nodes');
    const ha = this.cluster.get(a);
    const hb = this.cluster.get(b);
    if (!ha || !hb) throw new Error(`${ha ? b : a} is not running in this tab`);
    return [ha, hb];
  }

  private async set(a: NodeHandle, b: NodeHandle, partitioned: boolean): Promise<void> {
    await Promise.all([a.setLinkFaults(b.id, { partitioned }), b.setLinkFaults(a.id, { partitioned })]);
  }

  private forgetGone(): void {
    let gone = false;
    for (const [key, { a, b }] of this.cut) {
      if (this.cluster.get(a.id) === a && this.cluster.get(b.id) === b) continue;
      this.cut.delete(key);
      gone = true;
    }
    if (gone) this.changed();
  }
}
