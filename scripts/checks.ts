// `npm test`'s static checks, the type check, the linter and the formatter's check, run side by
// side: each is one single-threaded process, so on a 2-core machine they take the wall time of
// the slowest (eslint, which type-checks too) rather than the sum. Each one's output is printed
// whole as it ends, so the three never interleave; the exit status is non-zero if any failed.
import { spawn } from 'node:child_process';

const CHECKS: ReadonlyArray<[string, string[]]> = [
  ['tsc', ['--noEmit']],
  ['eslint', ['.']],
  ['prettier', ['--check', '.']],
];

/** Runs `command`, prints what it said once it ends; resolves with whether it passed. */
function check(command: string, args: string[]): Promise<boolean> {
  const started = performance.now();
  const line = [command, ...args].join(' ');
  return new Promise((resolve) => {
    let output = '';
    let ended = false;
    // npm puts node_modules/.bin on the PATH of the scripts it runs.
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    // A process that cannot start reports an error and may close too: it is told once.
    const done = (ok: boolean, why: string): void => {
      if (ended) return;
      ended = true;
      const seconds = ((performance.now() - started) / 1000).toFixed(1);
      console.log(`> ${line}: ${why} in ${seconds} s`);
      if (output.trim() !== '') (ok ? console.log : console.error)(output.trimEnd());
      resolve(ok);
    };
    child.on('error', (e) => done(false, `could not start (${e.message})`));
    child.on('close', (code, signal) => done(code === 0, code === 0 ? 'passed' : `failed (${signal ?? `exit ${code}`})`));
  });
}

const passed = await Promise.all(CHECKS.map(([command, args]) => check(command, args)));
process.exit(passed.every(Boolean) ? 0 : 1);
