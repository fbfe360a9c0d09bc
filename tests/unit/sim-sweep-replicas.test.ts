// Seeds under every fault kind at once with `replicas: 1`: owners' writes wait for the CM's
// replica, and the simulated operator forgets each client that leaves for good, whose pages must
// then come back (a failure naming it after that is a liveness failure, see simulator.ts).
import { describe } from 'vitest';
import { sweepCase } from './sweep-case.ts';

describe('fault sweep with replicas, every kind at once', () => sweepCase(2001, 2060, 'all', { replicas: 1 }));
