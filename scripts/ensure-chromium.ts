// `npm test`'s first step (npm runs it as `pretest`): make sure the end-to-end tests have a
// Chromium. $IVY_CHROMIUM or Debian's /usr/bin/chromium when there is one (scripts/chromium.ts
// chooses the same way); otherwise Playwright's own, downloaded now if it is not there yet.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chromiumExecutablePath, SYSTEM_CHROMIUM } from './chromium.ts';

function fail(lines: string[]): never {
  console.error(['', 'npm test: no Chromium for the end-to-end tests.', ...lines, ''].join('\n'));
  process.exit(1);
}

if (chromiumExecutablePath !== undefined) {
  if (!existsSync(chromiumExecutablePath)) {
    fail([`IVY_CHROMIUM=${chromiumExecutablePath} does not exist; point it at a Chrome or Chromium binary, or unset it.`]);
  }
  console.log(`npm test: end-to-end tests run in ${chromiumExecutablePath}`);
} else {
  console.log(`npm test: ${SYSTEM_CHROMIUM} is absent and IVY_CHROMIUM is unset; making sure Playwright's Chromium is installed…`);
  // A no-op when it is installed already; a download (about 150 MB) otherwise.
  const install = spawnSync('npx', ['playwright', 'install', 'chromium'], { stdio: 'inherit' });
  if (install.status !== 0) {
    fail([
      `${SYSTEM_CHROMIUM} is absent, IVY_CHROMIUM is unset, and \`npx playwright install chromium\` failed`,
      '(it downloads from the internet; is this machine offline?). Either',
      "  - install Chromium from the system's packages (Debian: apt-get install chromium), or",
      '  - set IVY_CHROMIUM=/path/to/chrome-or-chromium, or',
      '  - run `npx playwright install chromium` where the internet is reachable,',
      'then run npm test again.',
    ]);
  }
}
