// The servers the Playwright suite runs against: one `vite preview` of the e2e build (with its
// PeerServer) per Playwright worker, on consecutive ports, so that workers never share a
// PeerServer, an origin or its storage: tab clusters of two tests running side by side cannot
// meet. `tsx scripts/e2e-servers.ts FIRST_PORT COUNT`; the build must exist (dist-e2e/).
import { preview } from 'vite';

const [first, count] = process.argv.slice(2).map(Number);
if (!Number.isInteger(first) || !Number.isInteger(count) || count! < 1) {
  console.error('usage: tsx scripts/e2e-servers.ts FIRST_PORT COUNT');
  process.exit(2);
}
// One after another: Playwright waits for the last port, and by then every earlier one listens.
for (let i = 0; i < count!; i++) {
  await preview({ mode: 'e2e', logLevel: 'warn', preview: { host: '127.0.0.1', port: first! + i, strictPort: true } });
}
