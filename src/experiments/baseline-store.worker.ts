// The central-store baseline's server: every client's port arrives as a message, and all of
// them share one page map.
import { serveStore } from './central-store.ts';

const pages = new Map<string, string>();
self.onmessage = (e: MessageEvent<{ port: MessagePort }>) => serveStore(e.data.port, pages);
