// How every headless Chromium of this project is launched (the Playwright suite and
// `npm run experiments`): Debian's /usr/bin/chromium when present (or $IVY_CHROMIUM), else
// Playwright's own browser, with the flags these sandboxed CI machines need.
import { existsSync } from 'node:fs';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const chromiumExecutablePath: string | undefined =
  process.env.IVY_CHROMIUM || (existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);

export const chromiumArgs: string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
  '--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1',
];
