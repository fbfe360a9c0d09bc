// Each fault kind alone, over seeds of its own: a kind that is rare in the mixed sweep (or that
// another kind's recovery would mask) still gets a run of its own.
import { describe } from 'vitest';
import { FAULT_KINDS } from '../../src/sim/nemesis.ts';
import { sweepCase } from './sweep-case.ts';

const SEEDS_PER_KIND = 40;

describe('fault sweep, one kind at a time', () => {
  FAULT_KINDS.forEach((kind, i) => sweepCase(10_001 + i * SEEDS_PER_KIND, 10_000 + (i + 1) * SEEDS_PER_KIND, [kind]));
});
