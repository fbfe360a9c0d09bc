// Users at their terminals: each process issues a random sequence of reads and writes over the
// pages, one at a time, pausing between them. Written values are unique, so any read in the
// history names the one write it saw.
import type { OpRequest } from '../protocol/client.ts';
import type { Rng } from './rng.ts';

export interface WorkloadOptions {
  clients: number;
  pages: number;
  /** Total operations across all processes. */
  ops: number;
  readRatio: number;
  thinkMaxMs?: number;
}

export function pageName(i: number): string {
  return `P${i}`;
}

export class Workload {
  private readonly remaining: number[] = [];
  private readonly issued: number[] = [];
  private readonly pending = new Map<number, OpRequest>();

  constructor(
    private readonly opts: WorkloadOptions,
    private readonly rng: Rng,
  ) {
    for (let p = 1; p <= opts.clients; p++) {
      const share = Math.floor(opts.ops / opts.clients) + (p <= opts.ops % opts.clients ? 1 : 0);
      this.remaining[p] = share;
      this.issued[p] = 0;
    }
  }

  /** The next operation for `process`, or null when its share is used up. */
  next(process: number): OpRequest | null {
    if ((this.remaining[process] ?? 0) <= 0 || this.pending.has(process)) return null;
    this.remaining[process]! -= 1;
    const n = (this.issued[process] ?? 0) + 1;
    this.issued[process] = n;
    const page = pageName(1 + this.rng.int(this.opts.pages));
    const op: OpRequest = this.rng.chance(this.opts.readRatio) ? { kind: 'read', page } : { kind: 'write', page, value: `${process}.${n}` };
    this.pending.set(process, op);
    return op;
  }

  isPending(process: number): boolean {
    return this.pending.has(process);
  }

  pendingOp(process: number): OpRequest | undefined {
    return this.pending.get(process);
  }

  /** The share of all operations issued so far, 0 to 1. */
  progress(): number {
    const issued = this.issued.reduce((a, b) => a + (b ?? 0), 0);
    return this.opts.ops === 0 ? 1 : issued / this.opts.ops;
  }

  /** Every share issued and every operation ended. */
  finished(): boolean {
    return this.pending.size === 0 && this.remaining.every((n) => n === undefined || n <= 0);
  }

  /** The value a pending write carries, for recording a failed or unknown completion. */
  pendingValue(process: number): string | null {
    const op = this.pending.get(process);
    return op?.kind === 'write' ? op.value : null;
  }

  /** The process issues nothing more (its node left for good). */
  retire(process: number): void {
    this.remaining[process] = 0;
  }

  done(process: number): void {
    this.pending.delete(process);
  }

  thinkTimeMs(): number {
    return Math.round(this.rng.between(0, this.opts.thinkMaxMs ?? 1) * 1000) / 1000;
  }
}
