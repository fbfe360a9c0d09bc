// The contract every transport must keep. A new transport proves itself by passing this suite:
// runTransportContract('name', setup) from its own test file. The cases live in
// transport-cases.ts so that a browser page can run them too (the PeerJS transport).
import { describe, expect, it, vi } from 'vitest';
import { TRANSPORT_CONTRACT, type Check, type ContractLink } from './transport-cases.ts';

export { decodeTestFrame, type ContractLink, type TestFrame } from './transport-cases.ts';

const vitestCheck: Check = {
  equal: (actual, expected, what) => expect(actual, what).toEqual(expected),
  ok: (condition, what) => expect(condition, what).toBe(true),
  waitFor: async (assertion) => {
    await vi.waitFor(assertion);
  },
};

export function runTransportContract(name: string, setup: () => ContractLink): void {
  describe(`transport contract: ${name}`, () => {
    for (const c of TRANSPORT_CONTRACT) {
      it(c.name, async () => {
        const link = setup();
        await c.run(link, vitestCheck);
        link.dispose();
      });
    }
  });
}
