// Failover scenarios as text, in the manner of etcd raft's data-driven tests: a file holds
// commands, each followed by `----` and the output it must give; a blank line ends the output.
// The commands drive the hand-stepped net (stepped-net.ts). The output of each is what happened
// while it ran, in order: every message delivered (as a `show` line, with the contents of reports
// and CM_STATE), `lost` ones (sent by or to an isolated node, or reaching a node that is down),
// and the nodes' `warn`/`error` logs; pulses and their replies are left out, as they repeat every
// interval. Then comes what the command itself reports. A new scenario is a new file;
// `UPDATE_SCENARIOS=1 npx vitest run tests/protocol/scenario-files.test.ts` writes the outputs
// the code gives today, for a person to read before committing.
//
// Commands. A <selector> picks queued messages by words that must all occur in a message's
// `show` line (`c2->cm1`, `CHANGE_CM`, `P1 c2:1`); a word written `!word` must not occur.
// A <time> is absolute (ms) or `+ms` from now.
//   boot [clients=N] [backup=false] [replication=periodic]
//       A settled cluster at t=0: cm1 acts, cm2 stands by, the clients reported. Prints `state`.
//   write <client> <page> <value> | read <client> <page>
//       Runs the operation to its end (delivering everything, ticking 50 ms at a time); prints
//       the result: `ok "v"`, with `(hit)` when served locally and `(not kept)` when the copy
//       was not kept for want of a lease, or `failed[ (uncertain)]: why`.
//   submit <client> <page> [value]   Starts a read (a write with a value); prints its op id.
//   result <client> <op>             How that operation ended, or `not done`.
//   deliver [selector]               Delivers queued messages (those that match), oldest first,
//                                    until none is left, including the ones they cause.
//   deliver-one [selector]           Delivers the oldest link head (that matches).
//   drop <selector>                  Loses every queued message that matches.
//   hold <selector>                  Takes the oldest match off the wire, kept aside for `replay`.
//   replay <selector>                Hands a copy of the held message that matches to its
//                                    addressee now; it stays held, so a second replay duplicates.
//   inject <from>-><to> <TYPE> field=value...
//       Hands a message made here to its addressee now (a forged or late frame). Each value is
//       read as JSON when it parses (1, null, []), else as a string; the wire validator checks it.
//   pending                          The queued messages, oldest first, pulses too: all of them.
//   tick <time>...                   Sets the clock and ticks every live node, once per time;
//                                    delivers nothing.
//   settle <time> [every=ms]         Ticks every `every` ms (default: the pulse interval, 100)
//                                    up to the time, delivering everything after each tick.
//   crash <node> | isolate <node> | heal <node>
//   restart-cm <cm> primary|backup|restartCM|restartBackup    Starts the CM from its disk.
//   restart-client <client> disk|blank [announce]              From its disk, or blank.
//   state    The clock, the running CMs, whom each client follows, and the pages of the acting CM
//            of the highest epoch.
//   cm <cm>  One CM's role and epoch, and its pages (a standby's mirror) with their requests.
//   client <client>...   Whom it follows, its lease, its request in flight, its page table.
//   disk <node>          What the node last persisted, as JSON.
import type { CmStart } from '../../src/protocol/manager.ts';
import type { Message } from '../../src/protocol/messages.ts';
import { clientLines, cmLines, describe, showResult, stateLines, traceLine } from './scenario-views.ts';
import { Net, show, T } from './stepped-net.ts';

export interface Step {
  /** The command line as written. */
  command: string;
  /** The output written under it (empty when none). */
  expected: string;
  /** Where the command is in the file (from 1), for a failure to point at. */
  line: number;
}

const SEPARATOR = '----';

/** The steps of a scenario file; `#` lines outside an output are comments. */
export function parseScenario(text: string): Step[] {
  const steps: Step[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '' || line.startsWith('#')) continue;
    if (lines[i + 1]?.trim() !== SEPARATOR) throw new Error(`line ${i + 1}: "${line}" is not followed by ${SEPARATOR}`);
    const out: string[] = [];
    const at = i + 1;
    for (i += 2; i < lines.length && lines[i]!.trim() !== ''; i++) out.push(lines[i]!);
    steps.push({ command: line, expected: out.join('\n'), line: at });
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

// --- commands -----------------------------------------------------------------------------

/** A command's words: positional ones and `key=value` options. */
class Args {
  readonly words: string[] = [];
  readonly options = new Map<string, string>();

  constructor(
    private readonly verb: string,
    private readonly usage: string,
    raw: readonly string[],
  ) {
    for (const w of raw) {
      const eq = w.indexOf('=');
      if (eq > 0) this.options.set(w.slice(0, eq), w.slice(eq + 1));
      else this.words.push(w);
    }
  }

  fail(why: string): never {
    throw new Error(`${this.verb}: ${why} (usage: ${this.verb} ${this.usage})`.replace(/ \)$/, ')'));
  }

  word(i: number, what: string): string {
    return this.words[i] ?? this.fail(`wants ${what}`);
  }

  oneOf<W extends string>(i: number, choices: readonly W[]): W {
    const w = this.word(i, choices.join('|'));
    return (choices as readonly string[]).includes(w) ? (w as W) : this.fail(`${JSON.stringify(w)} is not one of ${choices.join('|')}`);
  }

  number(w: string, what: string): number {
    const n = Number(w);
    return w !== '' && Number.isInteger(n) && n >= 0 ? n : this.fail(`${what} wants a whole number, got ${JSON.stringify(w)}`);
  }

  /** An absolute time, or `+ms` from `now`. */
  time(w: string, now: number): number {
    return w.startsWith('+') ? now + this.number(w.slice(1), 'time') : this.number(w, 'time');
  }

  /** The selector the words from `i` on make: all must occur in the `show` line, `!word`s must not. */
  selector(i: number): (m: Message) => boolean {
    const words = this.words.slice(i);
    if (words.length === 0) this.fail('wants a selector');
    const pick = (m: Message): boolean => {
      const line = show(m);
      return words.every((w) => (w.startsWith('!') ? !line.includes(w.slice(1)) : line.includes(w)));
    };
    // The net's errors name what matched nothing by the selector's text.
    return Object.assign(pick, { toString: () => words.join(' ') });
  }
}

/** One scenario's world: the net once booted, and the messages held off the wire. */
class Scene {
  private booted: Net | null = null;
  readonly held: Message[] = [];

  get net(): Net {
    if (!this.booted) throw new Error('boot first');
    return this.booted;
  }

  get maybeNet(): Net | null {
    return this.booted;
  }

  boot(net: Net): void {
    if (this.booted) throw new Error('boot: the scenario has booted already');
    this.booted = net;
  }
}

interface Command {
  /** The arguments, as the error for a misuse shows them. */
  usage: string;
  /** How many positional words it takes (max Infinity for a selector or a list). */
  words: [min: number, max: number];
  /** The options it takes; `any` for message fields. */
  options?: readonly string[] | 'any';
  run(s: Scene, a: Args): string[];
}

const CM_STARTS: readonly CmStart[] = ['primary', 'backup', 'restartCM', 'restartBackup'];

function boot(s: Scene, a: Args): string[] {
  const clients = a.options.get('clients');
  const backup = a.options.get('backup');
  const replication = a.options.get('replication');
  if (backup !== undefined && backup !== 'false') a.fail(`backup=${backup}: only backup=false changes anything`);
  if (replication !== undefined && replication !== 'periodic' && replication !== 'streaming') a.fail(`no replication ${replication}`);
  const net = new Net({
    clients: clients === undefined ? 3 : a.number(clients, 'clients'),
    backup: backup === undefined,
    replication: replication ?? 'streaming',
  });
  net.deliverAll();
  net.tick(0);
  net.deliverAll();
  s.boot(net);
  return stateLines(net);
}

function write(s: Scene, a: Args): string[] {
  return [showResult(s.net.writeValue(a.word(0, 'a client'), a.word(1, 'a page'), a.word(2, 'a value')))];
}

function read(s: Scene, a: Args): string[] {
  return [showResult(s.net.readValue(a.word(0, 'a client'), a.word(1, 'a page')))];
}

function submit(s: Scene, a: Args): string[] {
  const [client, page, value] = [a.word(0, 'a client'), a.word(1, 'a page'), a.words[2]];
  const opId = value === undefined ? s.net.read(client, page) : s.net.write(client, page, value);
  return [`${client} op ${opId}`];
}

function result(s: Scene, a: Args): string[] {
  const r = s.net.result(a.word(0, 'a client'), a.number(a.word(1, 'an op id'), 'op'));
  return [r ? showResult(r) : 'not done'];
}

function deliver(s: Scene, a: Args): string[] {
  if (a.words.length === 0) s.net.deliverAll();
  else s.net.deliverAllMatching(a.selector(0));
  return [];
}

function deliverOne(s: Scene, a: Args): string[] {
  if (a.words.length > 0) s.net.deliverMatching(a.selector(0));
  else if (!s.net.deliverNext()) a.fail('nothing is queued');
  return [];
}

function drop(s: Scene, a: Args): string[] {
  return s.net.dropAll(a.selector(0)).map((m) => `dropped ${describe(m)}`);
}

function hold(s: Scene, a: Args): string[] {
  const m = s.net.take(a.selector(0));
  s.held.push(m);
  return [`held ${describe(m)}`];
}

function replay(s: Scene, a: Args): string[] {
  const pick = a.selector(0);
  const m = s.held.find(pick) ?? a.fail(`no held message matches ${String(pick)}; held: ${s.held.map(show).join(' | ') || 'none'}`);
  s.net.inject(structuredClone(m));
  return [];
}

function inject(s: Scene, a: Args): string[] {
  const link = /^(\w+)->(\w+)$/.exec(a.word(0, '<from>-><to>')) ?? a.fail(`${JSON.stringify(a.words[0])} is not <from>-><to>`);
  const fields: Record<string, unknown> = { type: a.word(1, 'a message type'), from: link[1], to: link[2] };
  for (const [k, v] of a.options) {
    try {
      fields[k] = JSON.parse(v);
    } catch {
      fields[k] = v;
    }
  }
  // The wire validator, on arrival, rejects a message with a field missing or wrong.
  s.net.inject(fields as unknown as Message);
  return [];
}

function pending(s: Scene): string[] {
  return s.net.pendingMessages().map(describe);
}

function tick(s: Scene, a: Args): string[] {
  for (const w of a.words) s.net.tick(a.time(w, s.net.now));
  return [];
}

function settle(s: Scene, a: Args): string[] {
  const every = a.options.get('every');
  s.net.tickUntil(a.time(a.word(0, 'a time'), s.net.now), every === undefined ? T.pulseIntervalMs : a.number(every, 'every'), true);
  return [];
}

function crash(s: Scene, a: Args): string[] {
  s.net.crash(a.word(0, 'a node'));
  return [];
}

function isolate(s: Scene, a: Args): string[] {
  s.net.isolate(a.word(0, 'a node'));
  return [];
}

function heal(s: Scene, a: Args): string[] {
  s.net.heal(a.word(0, 'a node'));
  return [];
}

function restartCm(s: Scene, a: Args): string[] {
  s.net.restartCm(a.word(0, 'a CM'), a.oneOf(1, CM_STARTS));
  return [];
}

function restartClient(s: Scene, a: Args): string[] {
  const from = a.oneOf(1, ['disk', 'blank']);
  if (a.words[2] !== undefined && a.words[2] !== 'announce') a.fail(`${JSON.stringify(a.words[2])} is not announce`);
  s.net.restartClient(a.word(0, 'a client'), { withDisk: from === 'disk', announce: a.words[2] === 'announce' });
  return [];
}

function state(s: Scene): string[] {
  return stateLines(s.net);
}

function cm(s: Scene, a: Args): string[] {
  return cmLines(s.net, a.word(0, 'a CM'));
}

function client(s: Scene, a: Args): string[] {
  return a.words.flatMap((id) => clientLines(s.net, id));
}

function disk(s: Scene, a: Args): string[] {
  const id = a.word(0, 'a node');
  return [`${id} ${JSON.stringify(s.net.disks.get(id) ?? null)}`];
}

const ANY = Infinity;
const COMMANDS: Readonly<Record<string, Command>> = {
  boot: {
    usage: '[clients=N] [backup=false] [replication=periodic]',
    words: [0, 0],
    options: ['clients', 'backup', 'replication'],
    run: boot,
  },
  write: { usage: '<client> <page> <value>', words: [3, 3], run: write },
  read: { usage: '<client> <page>', words: [2, 2], run: read },
  submit: { usage: '<client> <page> [value]', words: [2, 3], run: submit },
  result: { usage: '<client> <op>', words: [2, 2], run: result },
  deliver: { usage: '[selector]', words: [0, ANY], run: deliver },
  'deliver-one': { usage: '[selector]', words: [0, ANY], run: deliverOne },
  drop: { usage: '<selector>', words: [1, ANY], run: drop },
  hold: { usage: '<selector>', words: [1, ANY], run: hold },
  replay: { usage: '<selector>', words: [1, ANY], run: replay },
  inject: { usage: '<from>-><to> <TYPE> field=value...', words: [2, 2], options: 'any', run: inject },
  pending: { usage: '', words: [0, 0], run: pending },
  tick: { usage: '<time|+ms>...', words: [1, ANY], run: tick },
  settle: { usage: '<time|+ms> [every=ms]', words: [1, 1], options: ['every'], run: settle },
  crash: { usage: '<node>', words: [1, 1], run: crash },
  isolate: { usage: '<node>', words: [1, 1], run: isolate },
  heal: { usage: '<node>', words: [1, 1], run: heal },
  'restart-cm': { usage: `<cm> ${CM_STARTS.join('|')}`, words: [2, 2], run: restartCm },
  'restart-client': { usage: '<client> disk|blank [announce]', words: [2, 3], run: restartClient },
  state: { usage: '', words: [0, 0], run: state },
  cm: { usage: '<cm>', words: [1, 1], run: cm },
  client: { usage: '<client>...', words: [1, ANY], run: client },
  disk: { usage: '<node>', words: [1, 1], run: disk },
};

/** One scenario's net, and what each command does to it. */
export class ScenarioRunner {
  private readonly scene = new Scene();

  /** Runs one command line; returns its output. */
  run(line: string): string {
    const [verb = '', ...raw] = line.trim().split(/\s+/);
    const command = Object.hasOwn(COMMANDS, verb) ? COMMANDS[verb] : undefined;
    if (!command) throw new Error(`unknown command ${JSON.stringify(verb)}; known: ${Object.keys(COMMANDS).join(', ')}`);
    const a = new Args(verb, command.usage, raw);
    const [min, max] = command.words;
    if (a.words.length < min || a.words.length > max) {
      a.fail(`takes ${min === max ? min : max === ANY ? `at least ${min}` : `${min} to ${max}`} words, got ${a.words.length}`);
    }
    const allowed = command.options ?? [];
    for (const k of a.options.keys()) if (allowed !== 'any' && !allowed.includes(k)) a.fail(`no option ${k}`);

    // What the command set moving is shown before what it reports; boot's own start is not.
    const net = this.scene.maybeNet;
    const mark = net?.trace.length ?? 0;
    const said = command.run(this.scene, a);
    const happened = net ? net.trace.slice(mark).map(traceLine) : [];
    return [...happened.filter((l) => l !== null), ...said].join('\n');
  }
}
