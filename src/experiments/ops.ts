// The operations each client issues: random reads and writes over pages P1..Pn, decided by one
// seed. Written values are unique (`<client>.<n>`), so every read names the write it saw.
import type { OpRequest } from '../protocol/client.ts';
import { Rng } from '../sim/rng.ts';
import { pageName } from '../sim/workload.ts';

export interface RandomOps {
  /** The client's number: its operations differ from every other client's. */
  client: number;
  pages: number;
  readRatio: number;
  count: number;
  seed: number;
}

/** The same seed and client always give the same list. */
export function randomOps(mix: RandomOps): OpRequest[] {
  const { client } = mix;
  const rng = new Rng((mix.seed * 7919 + client * 104_729) >>> 0);
  const ops: OpRequest[] = [];
  for (let n = 1; n <= mix.count; n++) {
    const page = pageName(1 + rng.int(mix.pages));
    ops.push(rng.chance(mix.readRatio) ? { kind: 'read', page } : { kind: 'write', page, value: `${client}.${n}` });
  }
  return ops;
}
