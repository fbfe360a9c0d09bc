// This tab as one node of a cluster whose nodes are tabs, on this machine or others, linked peer
// to peer over PeerJS. The protocol core runs here on the main thread (WebRTC lives only there)
// inside the same host core the workers and the simulator use (a NodeHost: the core and its
// inspector); links are PeerSlots (peer-slot.ts); durable state goes to a log in this browser's
// OPFS (kept by a log worker of the tab's own) through the host's commit gate.
import { isCmId, PRIMARY_CM, BACKUP_CM, type NodeId } from '../protocol/ids.ts';
import type { Timing } from '../protocol/config.ts';
import type { OpResult } from '../protocol/node.ts';
import { decodeComlinkWire, exposeOver } from '../net/comlink-endpoint.ts';
import { pageDurability, pageReplicas, peerServerAddress, type IvyConfig } from '../net/ivy-config.ts';
import { peerErrorText } from './peer-errors.ts';
import type { Replicas } from '../protocol/config.ts';
import { ClusterPeer, PeerIdTakenError, peerIdFor } from '../net/peer-connect.ts';
import type { DurableBackend } from '../disk/backend.ts';
import type { DurableEntry } from '../protocol/durable.ts';
import { openTabBackend } from '../disk/tab-backend.ts';
import { runCommand, type Answer } from '../console/run-command.ts';
import { NodeHost, type HostListener } from '../host/node-host.ts';
import { realEnv, type Timers } from '../host/env.ts';
import { describeDurable, durableFor, makeNode, PAGE_SIZE_BYTES, type NodeSpec, type NodeState } from '../host/make-node.ts';
import { CONTROL_CHANNEL, type PeerStatus, type TabControlApi, type TabNodeInfo } from './control.ts';
import { actingAnswer, identityFor, rosterOf, type Identity, type TabChoice } from './identity.ts';
import { askCms, serveJoin, type JoinAnswer } from './join.ts';
import { browserLocks, nodeLockName, NodeRunsElsewhere, UNGUARDED } from '../host/node-lock.ts';
import { TabMesh } from './mesh.ts';
import type { PeerSlot } from './peer-slot.ts';
import { sleep } from '../util/sleep.ts';
import { randomHex } from '../util/random-hex.ts';
import { describeError } from '../util/errors.ts';

const ASK_MS = 2_500;
/** How long a restart waits for the PeerServer to let go of the id its closed tab held. */
const CLAIM_MS_MAX = 5_000;
const CLAIM_RETRY_MS = 250;
/** How long a restart asks the node it would replace whether it still runs. */
const ALIVE_ASK_MS = 1_500;
const CLIENT_ID_TRIES_MAX = 5;
const ONLINE_CHECK_MS = 1_000;
/** How long a new node waits for its links to the CMs that answered before it starts anyway. */
const LINK_WAIT_MS = 5_000;

export interface TabNodeOptions {
  config: IvyConfig;
  clusterKey: string;
  location: { hostname: string; port: string; protocol: string; search?: string };
  /** Time limits other than the defaults (pageTiming). */
  timing: Partial<Timing>;
  /** Everything the tab node has to say before and after it runs: the tab's console. */
  log: (line: string) => void;
}

export function tabRegistryName(prefix: string): string {
  return `ivy-tabs-${prefix}`;
}

export class TabNode {
  private stopped = false;
  private readonly timers: Array<() => void> = [];

  private constructor(
    readonly id: NodeId,
    readonly peer: ClusterPeer,
    readonly host: NodeHost,
    /** Readable from outside for the e2e build's hooks (src/debug/hooks.ts), which forge frames on its links. */
    readonly mesh: TabMesh,
    private readonly log: (line: string) => void,
    private readonly backend: DurableBackend,
    /** Lets go of the node's id (its lock), once what it must keep is stored. */
    private readonly release: () => void,
  ) {}

  /** Becomes the node `choice` names, or throws with the reason a person should read. */
  static async start(choice: TabChoice, o: TabNodeOptions): Promise<TabNode> {
    const prefix = o.config.peerIdPrefix;
    const open = (id: string): Promise<ClusterPeer> =>
      ClusterPeer.open({
        id,
        server: peerServerAddress(o.config, o.location),
        iceServers: o.config.iceServers,
        clusterKey: o.clusterKey,
        log: o.log,
      });
    const hold = holdFor(tabRegistryName(prefix), o.log);
    o.log('connecting to the PeerServer…');
    const lobby = await open(`${prefix}-lobby-${randomHex(5)}`);
    try {
      const { identity, answers, peer, release } = await claim(choice, lobby, prefix, open, hold, o.log);
      try {
        return await TabNode.run(identity, answers, peer, release, o);
      } catch (e) {
        release();
        throw e;
      }
    } finally {
      lobby.destroy();
    }
  }

  private static async run(
    identity: Identity,
    answers: JoinAnswer[],
    peer: ClusterPeer,
    release: () => void,
    o: TabNodeOptions,
  ): Promise<TabNode> {
    const prefix = o.config.peerIdPrefix;
    let backend: DurableBackend;
    let spec: NodeSpec;
    let lsn: number;
    try {
      const durability = pageDurability(o.config, o.location.search ?? '');
      backend = await openTabBackend(tabRegistryName(prefix), durability, `ivy-${identity.id}-log`, o.log);
      const recovered = await backend.recover(identity.id);
      for (const note of recovered.notes) o.log(note);
      spec = { ...durableFor(specFor(identity, pageReplicas(o.config, o.location.search ?? '')), recovered.entries), timing: o.timing };
      // A client follows the CM that answered the join as acting, not cm1 at epoch 1 (make-node.ts).
      const acting = actingAnswer(answers);
      if (spec.role === 'client' && acting) spec = { ...spec, follow: { cm: acting.cm, epoch: acting.epoch } };
      lsn = recovered.lsn;
    } catch (e) {
      peer.destroy();
      throw new Error(`could not open this node's store: ${describeError(e)}`, { cause: e });
    }
    // The timer worker is up before the node exists: its first tick must not come late.
    const metronome = await startMetronome(spec.id);
    let host: NodeHost | null = null;
    let entries = (): DurableEntry[] => [];
    const env = { ...realEnv(backend.attach(spec.id, lsn, () => entries())), timers: workerTimers(metronome) };
    const early: PeerSlot[] = [];
    const mesh = new TabMesh(
      peer,
      spec.id,
      prefix,
      PAGE_SIZE_BYTES,
      (slot) => {
        if (host) host.connect(slot.peer, slot);
        else early.push(slot);
      },
      o.log,
    );
    // A node's clock starts when it is built, and a standby counts pulse silence from then: it
    // must not start before its link to the acting CM is up (a WebRTC link takes a while to
    // open, longer than three missed pulses), or it would take over from a CM that is fine.
    mesh.meet(rosterOf(answers));
    const needed = answers.map((a) => a.cm).filter((cm) => cm !== spec.id);
    if (needed.length > 0) o.log(`${spec.id}: opening links to ${needed.join(', ')} (up to ${LINK_WAIT_MS / 1000} s)…`);
    const missing = await mesh.linked(needed, LINK_WAIT_MS);
    if (missing.length > 0) o.log(`${spec.id} starts without a link to ${missing.join(', ')}`);
    const made = makeNode(spec, env.now());
    entries = () => made.node.durableEntries();
    host = new NodeHost({ ...made, node: mesh.wrap(made.node) }, env);
    for (const slot of early.splice(0)) host.connect(slot.peer, slot);
    const tab = new TabNode(spec.id, peer, host, mesh, o.log, backend, release);
    tab.begin(metronome);
    const kept = describeDurable(spec);
    o.log(`${spec.id} runs in this tab as ${describe(identity)}${kept ? `, ${kept}` : ''} (PeerJS id ${peer.id})`);
    if (spec.role === 'client' && spec.restart && !spec.durable) {
      o.log(
        `${spec.id}: this browser holds nothing of it, so it starts blank: the pages it owned are reported lost, ` +
          'and only the browser that ran it can bring them back',
      );
    }
    return tab;
  }

  private begin(metronome: Worker): void {
    this.host.startTicking();
    this.timers.push(() => metronome.terminate());
    if (isCmId(this.id)) {
      this.timers.push(serveJoin(this.peer, () => this.cmView(), this.log));
    }
    this.timers.push(this.peer.accept(CONTROL_CHANNEL, decodeComlinkWire, (link) => exposeOver(this.controlApi(), link)));
    const online = setInterval(() => {
      if (!this.peer.online) {
        this.log(`${this.id} lost the PeerServer; reconnecting (links already open keep working)`);
        this.peer.reconnect();
      }
    }, ONLINE_CHECK_MS);
    this.timers.push(() => clearInterval(online));
    this.timers.push(this.peer.onError((e) => this.log(peerErrorText(this.id, e.type, e.message))));
  }

  /** Where its state is kept, and how durably ("log on OPFS (log worker), process durability"). */
  get storage(): string {
    return this.backend.describe;
  }

  get role(): 'cm' | 'client' {
    return isCmId(this.id) ? 'cm' : 'client';
  }

  get running(): boolean {
    return !this.stopped;
  }

  readPage(page: string): Promise<OpResult> {
    return this.host.submit({ kind: 'read', page });
  }

  writePage(page: string, content: string): Promise<OpResult> {
    return this.host.submit({ kind: 'write', page, value: content });
  }

  async snapshot(): Promise<NodeState> {
    return this.host.snapshot();
  }

  async forget(member: NodeId): Promise<string> {
    return this.host.forget(member);
  }

  command(line: string): Promise<Answer> {
    if (this.stopped) return Promise.resolve({ ok: false, lines: [`error: ${this.id} is stopped`] });
    return runCommand(line, this);
  }

  subscribe(listener: HostListener): () => void {
    return this.host.subscribe(listener);
  }

  info(): TabNodeInfo {
    const state = this.host.snapshot();
    const cm = state.role === 'client' ? state.snapshot.cm : this.id === PRIMARY_CM ? BACKUP_CM : PRIMARY_CM;
    return {
      id: this.id,
      role: this.role,
      state,
      stopped: this.stopped,
      peers: this.mesh.peers().map((p) => this.status(p)),
      cmLink: { ...this.status(cm), epoch: state.snapshot.epoch },
    };
  }

  /** Settles once every durable state asked for so far is written. */
  persisted(): Promise<void> {
    return this.host.persisted();
  }

  /** Kills the node: time stops, links close (a goodbye, if the peers are there), the id is free again. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    this.log(`${this.id} stopped: ${reason}`);
    for (const t of this.timers.splice(0)) t();
    this.mesh.stop();
    this.host.stop();
    this.peer.destroy();
    // The id is free again only once the log holds what the node committed: its next life,
    // here or in another tab, must read that, not race it.
    this.backend.detach(this.id).then(
      () => this.release(),
      (e: unknown) => {
        this.log(`${this.id}: ${(e as Error).message}`);
        this.release();
      },
    );
  }

  private status(peer: NodeId): PeerStatus {
    const slot: PeerSlot | undefined = this.mesh.slotIfAny(peer);
    const heard = slot?.lastHeardAt ?? null;
    return { peer, linked: slot?.linked ?? false, heardMsAgo: heard === null ? null : Math.round(performance.now() - heard) };
  }

  private cmView() {
    const s = this.host.snapshot();
    if (s.role !== 'cm') throw new Error('only a CM answers join asks');
    return { id: this.id, role: s.snapshot.role, epoch: s.snapshot.epoch, members: s.snapshot.members };
  }

  private controlApi(): TabControlApi {
    return {
      info: () => this.info(),
      command: (line) => this.command(String(line)),
      kill: () => this.stop('killed from the overview'),
    };
  }
}

/** The node's timer worker (see metronome.worker.ts), once a first timer has fired there. */
function startMetronome(id: NodeId): Promise<Worker> {
  const worker = new Worker(new URL('./metronome.worker.ts', import.meta.url), { type: 'module', name: `ivy-${id}-clock` });
  return new Promise((resolve, reject) => {
    worker.onmessage = () => resolve(worker);
    worker.onerror = (e) => reject(new Error(`the node's clock worker failed: ${e.message}`));
    worker.postMessage([0, 0]);
  });
}

/** Timers that fire in the timer worker, so that a hidden tab's throttling does not reach them. */
function workerTimers(worker: Worker): Timers {
  const waiting = new Map<number, () => void>();
  let next = 1;
  worker.onmessage = (e: MessageEvent) => {
    const f = waiting.get(e.data as number);
    waiting.delete(e.data as number);
    f?.();
  };
  return {
    after(ms, f) {
      const id = next++;
      waiting.set(id, f);
      worker.postMessage([id, Math.max(0, Math.ceil(ms))]);
      return () => {
        if (waiting.delete(id)) worker.postMessage([id, -1]);
      };
    },
  };
}

function describe(identity: Identity): string {
  if (identity.role === 'client') return identity.restart ? 'a restarted client' : 'a new client';
  const words = {
    primary: 'the primary CM',
    backup: 'the backup CM',
    restartCM: 'the rebooted primary (restartCM)',
    restartBackup: 'the rebooted backup (restartBackup)',
  };
  return words[identity.start];
}

type Open = (id: string) => Promise<ClusterPeer>;
/** Takes this browser's lock on a node id (node-lock.ts): its release, or null when another tab holds it. */
type Hold = (id: NodeId) => Promise<(() => void) | null>;

function holdFor(store: string, log: (line: string) => void): Hold {
  const locks = browserLocks();
  if (!locks) {
    log(`this tab's node will run unguarded: ${UNGUARDED}`);
    return () => Promise.resolve(() => {});
  }
  return (id) => locks.tryHold(nodeLockName(store, id));
}

interface Claimed {
  identity: Identity;
  answers: JoinAnswer[];
  peer: ClusterPeer;
  /** Lets go of the node id's lock in this browser. */
  release: () => void;
}

/**
 * Asks the cluster who this tab should be, takes that id's lock in this browser (refused at once
 * when another tab of it runs the node), and claims the id on the PeerServer.
 */
async function claim(
  choice: TabChoice,
  lobby: ClusterPeer,
  prefix: string,
  open: Open,
  hold: Hold,
  log: (line: string) => void,
): Promise<Claimed> {
  if (choice.kind === 'client') return claimClientId(lobby, prefix, open, hold, log);
  log(`asking cm1 and cm2 what runs (an absent one is known absent after at most ${ASK_MS / 1000} s)…`);
  const answers = await askCms(lobby, prefix, { t: 'ask', want: 'roster', atLeast: 0 }, ASK_MS, enoughFor(choice), log);
  const identity = identityFor(choice, answers);
  if ('error' in identity) throw new Error(identity.error);
  const release = await hold(identity.id);
  if (!release) throw new Error(`${new NodeRunsElsewhere(identity.id).message}: kill it there or close that tab first`);
  try {
    return { identity, answers, peer: await claimPeerId(identity, lobby, prefix, open, choice.kind !== 'cm', log), release };
  } catch (e) {
    release();
    throw e;
  }
}

/**
 * Claims the node's PeerJS id. A restart (`patient`) may come before the PeerServer has noticed
 * the old tab is gone: it waits a little, unless the node itself answers (then it runs).
 */
async function claimPeerId(
  identity: Identity,
  lobby: ClusterPeer,
  prefix: string,
  open: Open,
  patient: boolean,
  log: (line: string) => void,
): Promise<ClusterPeer> {
  const peerId = peerIdFor(prefix, identity.id);
  const taken = `${identity.id} is running in another tab (its PeerJS id is taken); stop it there first`;
  log(`claiming ${identity.id} on the PeerServer…`);
  for (let tries = 0, until = performance.now() + CLAIM_MS_MAX; ; tries++) {
    try {
      return await open(peerId);
    } catch (e) {
      if (!(e instanceof PeerIdTakenError)) throw e;
      if (!patient || performance.now() > until) throw new Error(taken, { cause: e });
      if (tries === 0) {
        if (isCmId(identity.id) && (await cmRuns(lobby, prefix, identity.id, log))) throw new Error(taken, { cause: e });
        log(
          `the PeerServer still holds ${identity.id}'s id (its old tab may be closing); trying again for up to ${CLAIM_MS_MAX / 1000} s…`,
        );
      }
      await sleep(CLAIM_RETRY_MS);
    }
  }
}

/** Whether the CM `cm` answers a join ask now: it runs, in some tab. */
async function cmRuns(lobby: ClusterPeer, prefix: string, cm: NodeId, log: (line: string) => void): Promise<boolean> {
  log(`${cm}'s PeerJS id is taken: asking ${cm} whether it runs (up to ${ALIVE_ASK_MS / 1000} s)…`);
  const heard = await askCms(
    lobby,
    prefix,
    { t: 'ask', want: 'roster', atLeast: 0 },
    ALIVE_ASK_MS,
    (a) => a.some((x) => x.cm === cm),
    () => {},
  );
  return heard.some((a) => a.cm === cm);
}

/** When the answers in hand decide the choice, without waiting to learn that a CM is absent. */
function enoughFor(choice: TabChoice): (answers: JoinAnswer[]) => boolean {
  const heard =
    (cm: NodeId) =>
    (answers: JoinAnswer[]): boolean =>
      answers.some((a) => a.cm === cm);
  switch (choice.kind) {
    case 'cm':
      return heard(PRIMARY_CM); // then cm2 is claimed; the PeerServer refuses it if it runs
    case 'restartCM':
      return heard(BACKUP_CM);
    case 'restartBackup':
      return heard(PRIMARY_CM);
    default:
      return (answers) => actingAnswer(answers) !== null;
  }
}

/**
 * The acting CM offers the next client id; a taken one (its lock held in this browser, or the
 * PeerServer says so) means ask for a higher one.
 */
async function claimClientId(lobby: ClusterPeer, prefix: string, open: Open, hold: Hold, say: (line: string) => void): Promise<Claimed> {
  let atLeast = 0;
  // A CM that refused the link for its key never answers: that, not its absence, is the news.
  let keyRefused = false;
  const log = (line: string): void => {
    if (line.includes('wrong cluster key')) keyRefused = true;
    say(line);
  };
  for (let tries = 0; tries < CLIENT_ID_TRIES_MAX; tries++) {
    log(`asking the acting CM for a client id (an absent CM is known absent after at most ${ASK_MS / 1000} s)…`);
    const answers = await askActing(lobby, prefix, atLeast, log);
    const offer = actingAnswer(answers)?.offer;
    if (!offer) break;
    atLeast = Number(offer.slice(1)) + 1;
    const release = await hold(offer);
    if (!release) {
      log(`${offer} already runs in another tab of this browser; asking for another id`);
      continue;
    }
    log(`${actingAnswer(answers)?.cm ?? 'the CM'} offers ${offer}; claiming it on the PeerServer…`);
    try {
      return { identity: { role: 'client', id: offer, restart: false }, answers, peer: await open(peerIdFor(prefix, offer)), release };
    } catch (e) {
      release();
      if (!(e instanceof PeerIdTakenError)) throw e;
      log(`${offer} is taken on the PeerServer; asking for another id`);
    }
  }
  if (keyRefused) throw new Error('the CMs refused this tab: wrong cluster key (type the one the cluster was started with)');
  throw new Error('no acting central manager answered: start a CM first (or wait for the backup to take over)');
}

/** During a takeover nobody acts for a moment: ask again for a while. */
async function askActing(lobby: ClusterPeer, prefix: string, atLeast: number, log: (line: string) => void): Promise<JoinAnswer[]> {
  const until = performance.now() + ASK_MS;
  for (;;) {
    const answers = await askCms(
      lobby,
      prefix,
      { t: 'ask', want: 'client-id', atLeast },
      ASK_MS,
      (a) => actingAnswer(a)?.offer != null,
      log,
    );
    if (actingAnswer(answers) || answers.length === 0 || performance.now() > until) return answers;
    log(`no CM acts right now (${answers.map((a) => `${a.cm} ${a.role}`).join(', ')}): a takeover may be under way; asking again…`);
    await sleep(CLAIM_RETRY_MS);
  }
}

/** The node to build; its worker-side twin, durableFor, says what of its store it takes. */
function specFor(identity: Identity, replicas: Replicas): NodeSpec {
  if (identity.role === 'client') {
    // A blank restart (another browser, or nothing was written) must not reuse request ids.
    const seqStart = identity.restart ? Date.now() : undefined;
    return { role: 'client', id: identity.id, restart: identity.restart, seqStart, replicas };
  }
  return { role: 'cm', id: identity.id, start: identity.start };
}
