// The nemesis: which faults a run injects and when. One fault at a time, each healed (node
// restarted, partition lifted) before the next, so that a run also shows recovery.
import type { Rng } from './rng.ts';

export const FAULT_KINDS = [
  'crash-primary', 'crash-backup', 'crash-both', 'partition-primary', 'crash-client',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface NemesisOptions {
  faults: readonly FaultKind[];
  /** How many faults the run injects before it lets the cluster settle. */
  faultCount: number;
  /** Quiet time before the first fault and between a heal and the next fault. */
  gapMinMs: number;
  gapMaxMs: number;
  /** How long a node stays down or a partition lasts. */
  downMinMs: number;
  downMaxMs: number;
}

export const NEMESIS_DEFAULTS: Omit<NemesisOptions, 'faults'> = {
  faultCount: 4,
  gapMinMs: 20,
  gapMaxMs: 300,
  downMinMs: 20,
  downMaxMs: 500,
};

export function parseFaults(spec: string): FaultKind[] {
  if (spec === 'none' || spec === '') return [];
  if (spec === 'all') return [...FAULT_KINDS];
  return spec.split(',').map((f) => {
    if (!(FAULT_KINDS as readonly string[]).includes(f)) {
      throw new Error(`unknown fault ${JSON.stringify(f)}; use all, none or ${FAULT_KINDS.join(',')}`);
    }
    return f as FaultKind;
  });
}

export class Nemesis {
  private injected = 0;

  constructor(private readonly opts: NemesisOptions, private readonly rng: Rng) {}

  get active(): boolean {
    return this.opts.faults.length > 0;
  }

  /** The next fault, or null when the run's share is used up. */
  next(): FaultKind | null {
    if (this.injected >= this.opts.faultCount || this.opts.faults.length === 0) return null;
    this.injected += 1;
    return this.rng.pick(this.opts.faults);
  }

  gapMs(): number {
    return Math.round(this.rng.between(this.opts.gapMinMs, this.opts.gapMaxMs));
  }

  downMs(): number {
    return Math.round(this.rng.between(this.opts.downMinMs, this.opts.downMaxMs));
  }
}
