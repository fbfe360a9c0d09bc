// A node's simulated disk. A commit takes time (usually well under a millisecond, sometimes
// tens), and what is not committed when the node crashes is gone: a restart reads only the
// last state whose commit completed, as with IndexedDB after a renderer or worker crash.
import type { Disk } from '../host/env.ts';
import type { Life, SimWorld } from './world.ts';

export interface DiskOptions {
  commitMinMs: number;
  commitMaxMs: number;
  /** Share of commits that take up to slowMaxMs instead (a busy disk, a big transaction). */
  slowShare: number;
  slowMaxMs: number;
}

export const DISK_DEFAULTS: DiskOptions = { commitMinMs: 0.05, commitMaxMs: 1.5, slowShare: 0.05, slowMaxMs: 40 };

export class SimDisk {
  /** What survives a crash: the state of the last completed commit. */
  committed: unknown = undefined;
  commits = 0;
  /** Set by the nemesis: the node crashes while its next commit is on its way to disk. */
  crashDuringNextCommit: (() => void) | null = null;

  constructor(
    private readonly world: SimWorld,
    private readonly opts: DiskOptions,
  ) {}

  /**
   * The disk a life of the node writes through. `acksEarly` makes a disk that reports every
   * commit done at once and stores it later: a host on it sends before it has committed, the
   * bug the broken-host test proves the sweep catches.
   */
  for(life: Life, acksEarly = false): Disk {
    return {
      commit: (state, done) => {
        // No copy needed: a node's durable state is built fresh for each commit (Ready.persist).
        const copy = state;
        const at = this.world.now + this.delayMs();
        this.world.at(at, life, () => {
          this.committed = copy;
          this.commits += 1;
          if (!acksEarly) done(null);
        });
        if (acksEarly) done(null);
        const crash = this.crashDuringNextCommit;
        if (crash) {
          this.crashDuringNextCommit = null;
          const crashAt = this.world.now + (at - this.world.now) * this.world.rng.float();
          this.world.at(Math.round(crashAt * 1000) / 1000, life, crash);
        }
      },
    };
  }

  private delayMs(): number {
    const { rng } = this.world;
    const o = this.opts;
    const ms = rng.chance(o.slowShare) ? rng.between(o.commitMaxMs, o.slowMaxMs) : rng.between(o.commitMinMs, o.commitMaxMs);
    return Math.round(ms * 1000) / 1000;
  }
}
