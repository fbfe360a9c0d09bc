import { FaultyTransport } from '../../src/net/faults.ts';
import { MemoryTransport } from '../../src/net/memory.ts';
import { MessagePortTransport } from '../../src/net/message-port.ts';
import { decodeTestFrame, runTransportContract, type TestFrame } from './transport-contract.ts';

runTransportContract('in-memory', () => {
  const [a, b] = MemoryTransport.pair(decodeTestFrame);
  return { a, b, sendRawFromA: (raw) => a.postRaw(raw), dispose: () => {} };
});

runTransportContract('MessagePort', () => {
  const channel = new MessageChannel();
  const a = new MessagePortTransport<TestFrame>(channel.port1, decodeTestFrame);
  const b = new MessagePortTransport<TestFrame>(channel.port2, decodeTestFrame);
  return {
    a, b,
    sendRawFromA: (raw) => channel.port1.postMessage(raw),
    dispose: () => { a.close(); b.close(); },
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
