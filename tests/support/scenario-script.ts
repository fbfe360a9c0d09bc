// Failover scenarios as text, in the manner of etcd raft's data-driven tests: a file holds
// commands, each followed by `----` and the output it must give; a blank line ends the output.
// The commands drive the hand-stepped net (stepped-net.ts), and the output of each is every
// message it delivered (as `show` lines, without the pulses, their replies and the replication
// stream, which repeat every interval) followed by what the command itself reports. A new
// scenario is a new file; `UPDATE_SCENARIOS=1 npx vitest run tests/protocol/scenario-files.test.ts`
// writes the outputs the code gives today, for a person to read before committing.
import type { CmStart } from '../../src/protocol/manager.ts';
import type { OpResult } from '../../src/protocol/node.ts';
import { Net, T } from './stepped-net.ts';

export interface Step {
  /** The command line as written. */
  command: string;
  /** The output written under it (empty when none). */
  expected: string;
}

const SEPARATOR = '----';
const QUIET = / (PULSE|PULSE_REPLY)\(/;

/** The steps of a scenario file; `#` lines outside an output are comments. */
export function parseScenario(text: string): Step[] {
  const steps: Step[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (lines[i + 1]?.trim() !== SEPARATOR) throw new Error(`line ${i + 1}: "${line}" is not followed by ${SEPARATOR}`);
    const out: string[] = [];
    for (i += 2; i < lines.length && lines[i]!.trim() !== ''; i++) out.push(lines[i]!);
    steps.push({ command: line, expected: out.join('\n') });
  }
  return steps;
}

/** The file again with each step's output replaced by `actual`, comments kept. */
export function renderScenario(text: string, actual: readonly string[]): string {
  const out: string[] = [];
  const lines = text.split('\n');
  let n = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === '' || line.trim().startsWith('#') || lines[i + 1]?.trim() !== SEPARATOR) {
      out.push(line);
      continue;
    }
    out.push(line, SEPARATOR);
    const result = actual[n++] ?? '';
    if (result !== '') out.push(result);
    for (i += 2; i < lines.length && lines[i]!.trim() !== ''; i++);
    if (i < lines.length) out.push('');
  }
  return out.join('\n');
}

function showResult(r: OpResult): string {
  return r.ok ? `ok ${JSON.stringify(r.value)}${r.local ? ' (hit)' : ''}` : `failed${r.certain ? '' : ' (uncertain)'}: ${r.error}`;
}

function number(word: string | undefined, what: string): number {
  const n = Number(word);
  if (word === undefined || !Number.isFinite(n)) throw new Error(`${what} wants a number, got ${JSON.stringify(word)}`);
  return n;
}

/** One scenario's net, and what each command does to it. */
export class ScenarioRunner {
  private net: Net | null = null;

  /** Runs one command line; returns its output. */
  run(command: string): string {
    const [verb, ...args] = command.split(/\s+/);
    if (verb === 'boot') return this.boot(args);
    const net = this.net;
    if (!net) throw new Error(`"${command}" before boot`);
    const mark = net.delivered.length;
    const said = this.act(net, verb ?? '', args);
    const delivered = net.delivered.slice(mark).filter((l) => !QUIET.test(l));
    return [...delivered, ...said].join('\n');
  }

  /** `boot [clients=N] [backup=false] [replication=periodic]`: a settled cluster at t=0. */
  private boot(args: string[]): string {
    const opts = Object.fromEntries(args.map((a) => a.split('=') as [string, string]));
    this.net = new Net({
      clients: opts.clients ? number(opts.clients, 'clients') : 3,
      backup: opts.backup !== 'false',
      replication: opts.replication === 'periodic' ? 'periodic' : 'streaming',
    });
    this.net.deliverAll();
    this.net.tick(0);
    this.net.deliverAll();
    return this.state(this.net).join('\n');
  }

  private act(net: Net, verb: string, args: string[]): string[] {
    const [a, b, c] = args;
    switch (verb) {
      case 'write':
        return [showResult(net.writeValue(a!, b!, c!))];
      case 'read':
        return [showResult(net.readValue(a!, b!))];
      case 'submit': {
        const opId = c === undefined ? net.read(a!, b!) : net.write(a!, b!, c);
        return [`${a} op ${opId}`];
      }
      case 'result': {
        const r = net.result(a!, number(b, 'result'));
        return [r ? showResult(r) : 'not done'];
      }
      case 'deliver':
        if (args.length === 0) net.deliverAll();
        else net.deliverAllMatching(args.join(' '));
        return [];
      case 'drop':
        return net.dropAll(args.join(' ')).map((m) => `dropped ${m.type} ${m.from}->${m.to}`);
      case 'pending':
        return net.pending().filter((l) => !QUIET.test(l));
      case 'tick':
        for (const t of args) net.tick(number(t, 'tick'));
        return [];
      // Ticks every pulse interval up to the time given, delivering everything after each tick.
      case 'settle':
        net.tickUntil(number(a, 'settle'), T.pulseIntervalMs, true);
        return [];
      case 'crash':
        net.crash(a!);
        return [];
      case 'isolate':
        net.isolate(a!);
        return [];
      case 'heal':
        net.heal(a!);
        return [];
      case 'restart-cm':
        net.restartCm(a!, b as CmStart);
        return [];
      case 'restart-client':
        net.restartClient(a!, { withDisk: b !== 'blank' });
        return [];
      case 'state':
        return this.state(net);
      default:
        throw new Error(`unknown command ${JSON.stringify(verb)}`);
    }
  }

  /** The running CMs, whom each client follows, and the metadata of the acting CM of the highest epoch. */
  private state(net: Net): string[] {
    const acting = net.acting();
    const cms = ['cm1', 'cm2'].filter((id) => net.alive(id)).map((id) => `${id} ${net.cm(id).currentRole} e${net.cm(id).epoch}`);
    const lines = [`t=${net.now} CMs: ${cms.join(', ') || 'none running'}`];
    lines.push(
      `clients: ${net.clientIds
        .filter((id) => net.alive(id))
        .map((id) => {
          const s = net.client(id).snapshot();
          return `${id}->${s.cm} e${s.epoch}`;
        })
        .join(', ')}`,
    );
    const last = acting.sort((x, y) => y.epoch - x.epoch)[0];
    const unreported = last ? net.cm(last.id).snapshot().unreported : [];
    if (unreported.length > 0) lines.push(`${last!.id} waits for reports from ${unreported.join(', ')}`);
    for (const p of last ? net.cm(last.id).snapshot().pages : []) {
      lines.push(`${last!.id} ${p.page}: owner ${p.owner ?? 'none'} copies {${p.copySet.join(', ')}} v${p.version}`);
    }
    return lines;
  }
}
