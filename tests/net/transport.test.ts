import { FaultyTransport } from '../../src/net/faults.ts';
import { MemoryTransport } from '../../src/net/memory.ts';
import { MessagePortTransport } from '../../src/net/message-port.ts';
import type { Transport } from '../../src/net/transport.ts';
import { Neighbours } from '../../src/workers/neighbours.ts';
import { decodeTestFrame, runTransportContract, type TestFrame } from '../support/transport-contract.ts';

runTransportContract('in-memory', () => {
  const [a, b] = MemoryTransport.pair(decodeTestFrame);
  return { a, b, sendRawFromA: (raw) => a.postRaw(raw), dispose: () => {} };
});

runTransportContract('MessagePort', () => {
  const channel = new MessageChannel();
  const a = new MessagePortTransport<TestFrame>(channel.port1, decodeTestFrame);
  const b = new MessagePortTransport<TestFrame>(channel.port2, decodeTestFrame);
  return {
    a,
    b,
    sendRawFromA: (raw) => channel.port1.postMessage(raw),
    dispose: () => {
      a.close();
      b.close();
    },
  };
});

runTransportContract('fault wrapper with no faults set, over in-memory', () => {
  const [a, b] = MemoryTransport.pair(decodeTestFrame);
  return {
    a: new FaultyTransport(a),
    b: new FaultyTransport(b),
    sendRawFromA: (raw) => a.postRaw(raw),
    dispose: () => {},
  };
});

// Packed placement: the link a pack makes between two of its nodes (neighbours.ts) keeps the
// same contract as a link between workers.
runTransportContract('between neighbours in one thread (packed placement)', () => {
  const neighbours = new Neighbours<TestFrame>(decodeTestFrame);
  const ends = new Map<string, Transport<TestFrame>>();
  neighbours.add('c1', (_, t) => ends.set('c1', t));
  neighbours.add('c2', (_, t) => ends.set('c2', t));
  neighbours.link('c1', 'c2');
  const a = ends.get('c1');
  const b = ends.get('c2');
  if (!(a instanceof MemoryTransport) || !b) throw new Error('neighbours were not linked in memory');
  return {
    a,
    b,
    sendRawFromA: (raw) => a.postRaw(raw),
    dispose: () => {
      a.close();
    },
  };
});
