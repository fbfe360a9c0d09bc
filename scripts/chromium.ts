// How every headless Chromium of this project is launched (the Playwright suite and
// `npm run experiments`): Debian's /usr/bin/chromium when present (or $IVY_CHROMIUM), else
// Playwright's own browser, with the flags these sandboxed CI machines need.
import { existsSync } from 'node:fs';

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

export const chromiumExecutablePath: string | undefined =
  process.env.IVY_CHROMIUM || (existsSync(SYSTEM_CHROMIUM) ? SYSTEM_CHROMIUM : undefined);

const BASE_ARGS: readonly string[] = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-features=WebRtcHideLocalIpsWithMdns',
];

/**
 * The flags for a browser that reaches servers only at `addresses` (IP literals): every name
 * resolves to nothing, so no page reaches out by name, and the server's address is exempt.
 */
export function chromiumArgsReaching(addresses: readonly string[]): string[] {
  return [...BASE_ARGS, `--host-resolver-rules=MAP * ~NOTFOUND${addresses.map((a) => ` , EXCLUDE ${a}`).join('')}`];
}

export const chromiumArgs: string[] = chromiumArgsReaching(['127.0.0.1']);
