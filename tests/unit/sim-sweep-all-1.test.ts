// Seeds 1-250 of the 1,000-seed sweep under every fault kind at once (see sweep-case.ts).
import { describe } from 'vitest';
import { sweepCase } from './sweep-case.ts';

describe('fault sweep, every kind at once', () => sweepCase(1, 250));
