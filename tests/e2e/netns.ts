// Network hosts for end-to-end tests, made of Linux network namespaces: one per host, each with
// one veth link to a bridge that sits in a namespace of its own (the "switch"). Everything is
// created inside those namespaces, so the machine's own network is never touched and nothing
// outside them is addressed. Each host has a default route over its link: Chromium gathers
// WebRTC host candidates only on an interface with one, and the bridge reaches only these hosts.
// Needs root and iproute2's `ip`; netnsUnavailable() says why not.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Every namespace a lab makes is named `<prefix><pid of the test process>-<host>`. */
const PREFIX = 'ivyx';
const SUBNET = '10.231.0';
const LINK = 'lan0';
const KILL_WAIT_MS_MAX = 5_000;

export interface NetHost {
  name: string;
  ns: string;
  address: string;
}

function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function namespaces(): string[] {
  return ip('netns', 'list')
    .split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => n !== '');
}

/** The processes living in namespace `ns` (what `ip netns pids` prints, without starting it). */
function pidsIn(ns: string): number[] {
  const inode = statSync(`/run/netns/${ns}`).ino;
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        return statSync(`/proc/${pid}/ns/net`).ino === inode;
      } catch {
        return false; // gone meanwhile
      }
    })
    .map(Number);
}

/**
 * Sends SIGKILL to every process living in namespace `ns`, and again to any still listed, until
 * none is left (dying takes a while under load). Returns when the first round had been sent: no
 * process of the namespace ran a line of its own after that.
 */
function killAllIn(ns: string): number {
  let firstRoundAt: number | null = null;
  for (const until = Date.now() + KILL_WAIT_MS_MAX; ;) {
    const pids = pidsIn(ns);
    if (pids.length === 0) return firstRoundAt ?? Date.now();
    if (Date.now() > until) throw new Error(`processes ${pids.join(', ')} in ${ns} outlive SIGKILL`);
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone already */
      }
    }
    firstRoundAt ??= Date.now();
    sleepSync(10);
  }
}

function remove(ns: string): void {
  killAllIn(ns);
  ip('netns', 'delete', ns);
}

/** Why this machine cannot host a lab, or null when it can. */
export function netnsUnavailable(): string | null {
  if (process.platform !== 'linux') return 'network namespaces exist only on Linux';
  if (process.getuid?.() !== 0) return 'creating network namespaces needs root';
  try {
    ip('-V');
  } catch {
    return 'no `ip` command (iproute2) on the PATH';
  }
  const probe = `${PREFIX}${process.pid}-probe`;
  try {
    ip('netns', 'add', probe);
    ip('netns', 'delete', probe);
  } catch (e) {
    return `\`ip netns add\` fails here: ${((e as { stderr?: string }).stderr ?? String(e)).trim()}`;
  }
  return null;
}

/** Namespaces left by a lab whose test process has died (a crash, a kill -9). */
function removeLeftovers(): void {
  for (const ns of namespaces()) {
    const pid = Number(new RegExp(`^${PREFIX}(\\d+)-`).exec(ns)?.[1] ?? NaN);
    if (Number.isInteger(pid) && pid !== process.pid && !alive(pid)) remove(ns);
  }
}

export class NetLab {
  private readonly hosts = new Map<string, NetHost>();
  private readonly namespaces: string[] = [];
  private readonly dir = mkdtempSync(join(tmpdir(), `${PREFIX}-`));
  private readonly onExit = (): void => this.teardown();
  private tornDown = false;

  private constructor() {
    // Even if the test process ends without running its teardown.
    process.on('exit', this.onExit);
  }

  /** A switch and one host per name on it, at SUBNET.1, .2, ... in the order given. */
  static create(hostNames: readonly string[]): NetLab {
    removeLeftovers();
    const lab = new NetLab();
    try {
      const sw = lab.namespace('sw');
      ip('-n', sw, 'link', 'add', 'br0', 'type', 'bridge');
      ip('-n', sw, 'link', 'set', 'br0', 'up');
      hostNames.forEach((name, i) => {
        const ns = lab.namespace(name);
        const address = `${SUBNET}.${i + 1}`;
        const port = `to-${name}`.slice(0, 15);
        ip('-n', sw, 'link', 'add', port, 'type', 'veth', 'peer', 'name', LINK, 'netns', ns);
        ip('-n', sw, 'link', 'set', port, 'master', 'br0', 'up');
        ip('-n', ns, 'addr', 'add', `${address}/24`, 'dev', LINK);
        ip('-n', ns, 'link', 'set', LINK, 'up');
        ip('-n', ns, 'link', 'set', 'lo', 'up');
        ip('-n', ns, 'route', 'add', 'default', 'dev', LINK);
        lab.hosts.set(name, { name, ns, address });
      });
      return lab;
    } catch (e) {
      lab.teardown();
      throw e;
    }
  }

  host(name: string): NetHost {
    const h = this.hosts.get(name);
    if (!h) throw new Error(`no host ${name} in this lab`);
    return h;
  }

  /** Starts a command on a host, in a process group of its own, output piped. */
  spawn(host: string, command: string, args: readonly string[], env: Record<string, string>, cwd: string): ChildProcess {
    return spawn('ip', ['netns', 'exec', this.host(host).ns, command, ...args], {
      cwd,
      env: { ...process.env, ...env },
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
  }

  /** A script that runs `executable` on the host with the arguments it is given (Playwright's executablePath). */
  executableOn(host: string, executable: string): string {
    if (executable.includes("'")) throw new Error(`cannot wrap an executable path with a quote in it: ${executable}`);
    const file = join(this.dir, `${host}-${executable.replace(/\W+/g, '_')}`);
    writeFileSync(file, `#!/bin/sh\nexec ip netns exec '${this.host(host).ns}' '${executable}' "$@"\n`);
    chmodSync(file, 0o755);
    return file;
  }

  /**
   * The host fails: every process on it dies at once (SIGKILL). Returns once none is left, with
   * the moment all had been sent the signal.
   */
  killAll(host: string): number {
    return killAllIn(this.host(host).ns);
  }

  /** Kills every process on every host, deletes the namespaces (their links and bridge with them). */
  teardown(): void {
    if (this.tornDown) return;
    this.tornDown = true;
    process.off('exit', this.onExit);
    const errors: string[] = [];
    for (const ns of this.namespaces.reverse()) {
      try {
        remove(ns);
      } catch (e) {
        errors.push(`${ns}: ${(e as Error).message}`);
      }
    }
    rmSync(this.dir, { recursive: true, force: true });
    if (errors.length > 0) throw new Error(`lab teardown: ${errors.join('; ')}`);
  }

  private namespace(name: string): string {
    const ns = `${PREFIX}${process.pid}-${name}`;
    ip('netns', 'add', ns);
    this.namespaces.push(ns);
    return ns;
  }
}
