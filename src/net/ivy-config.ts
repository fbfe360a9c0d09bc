// What a tab needs to join a cluster over PeerJS, served by our own server as /ivy-config.json
// (so one build runs under `npm start` or `npm run serve`, `vite preview` and `npm run dev` alike). The PeerServer
// address defaults to the page's own origin; ICE servers default to none, so no tab ever reaches
// a public STUN or TURN server unless the operator configured one.
import { readTiming, timingError, type Timing } from '../protocol/config.ts';
import { isRecord } from '../util/checks.ts';
import type { PeerServerAddress } from './peer-connect.ts';
import { DURABILITIES, isDurability, isReplicas, type Durability, type Replicas } from '../protocol/config.ts';

export const IVY_CONFIG_PATH = '/ivy-config.json';

export interface IvyConfig {
  peerServer: {
    /** null: the page's own host, port and scheme. */
    host: string | null;
    port: number | null;
    secure: boolean | null;
    path: string;
    key: string;
  };
  iceServers: RTCIceServer[];
  /**
   * null when the operator keeps the key off the server (IVY_SERVE_CLUSTER_KEY=false): whoever
   * loads the page then has to be told the key some other way.
   */
  clusterKey: string | null;
  /** Prefixes every PeerServer id, so several clusters can share one PeerServer. */
  peerIdPrefix: string;
  /** Time limits other than the defaults, for every node a page of this server builds. */
  timing: Partial<Timing>;
  /** How far each node's commit goes before what depends on it leaves (disk/volume.ts). */
  durability: Durability;
  /** Replicas each page keeps beyond its owner (config.ts Replicas): the same on every page of a cluster. */
  replicas: Replicas;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

export const PEER_ID_PREFIX_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/;

export function isPort(v: unknown): v is number {
  return Number.isInteger(v) && (v as number) > 0 && (v as number) < 65536;
}

export function iceServersError(v: unknown): string | null {
  if (!Array.isArray(v)) return 'iceServers must be an array';
  for (const s of v) {
    if (!isRecord(s)) return 'each ICE server must be an object';
    const urls = s.urls;
    const ok = typeof urls === 'string' || (Array.isArray(urls) && urls.length > 0 && urls.every((u) => typeof u === 'string'));
    if (!ok) return 'each ICE server needs urls: a string or an array of strings';
    if (s.username !== undefined && typeof s.username !== 'string') return 'ICE server username must be a string';
    if (s.credential !== undefined && typeof s.credential !== 'string') return 'ICE server credential must be a string';
  }
  return null;
}

export function parseIvyConfig(raw: unknown): Parsed<IvyConfig> {
  if (!isRecord(raw) || !isRecord(raw.peerServer)) return { ok: false, error: 'not an ivy config' };
  const p = raw.peerServer;
  if (p.host !== null && (typeof p.host !== 'string' || p.host === ''))
    return { ok: false, error: 'peerServer.host must be a name or null' };
  if (p.port !== null && !isPort(p.port)) return { ok: false, error: 'peerServer.port must be a port or null' };
  if (p.secure !== null && typeof p.secure !== 'boolean') return { ok: false, error: 'peerServer.secure must be a boolean or null' };
  if (typeof p.path !== 'string' || !p.path.startsWith('/')) return { ok: false, error: 'peerServer.path must start with /' };
  if (typeof p.key !== 'string' || p.key === '') return { ok: false, error: 'peerServer.key must be a string' };
  const iceError = iceServersError(raw.iceServers);
  if (iceError) return { ok: false, error: iceError };
  if (raw.clusterKey !== null && (typeof raw.clusterKey !== 'string' || raw.clusterKey === ''))
    return { ok: false, error: 'clusterKey must be a non-empty string or null' };
  if (typeof raw.peerIdPrefix !== 'string' || !PEER_ID_PREFIX_PATTERN.test(raw.peerIdPrefix))
    return { ok: false, error: 'peerIdPrefix must be 1-32 letters, digits, - or _' };
  const timingProblem = timingError(raw.timing);
  if (timingProblem || raw.timing === undefined) return { ok: false, error: timingProblem ?? 'timing must be an object' };
  if (!isDurability(raw.durability)) return { ok: false, error: `durability must be one of ${DURABILITIES.join(', ')}` };
  if (!isReplicas(raw.replicas)) return { ok: false, error: 'replicas must be 0 or 1' };
  return {
    ok: true,
    value: {
      peerServer: {
        host: p.host as string | null,
        port: p.port as number | null,
        secure: p.secure as boolean | null,
        path: p.path,
        key: p.key,
      },
      iceServers: raw.iceServers as RTCIceServer[],
      clusterKey: raw.clusterKey as string | null,
      peerIdPrefix: raw.peerIdPrefix,
      timing: { ...(raw.timing as Partial<Timing>) },
      durability: raw.durability,
      replicas: raw.replicas,
    },
  };
}

/** The durability a page's nodes commit at: the server's, or the page's `?durability=`. */
export function pageDurability(config: IvyConfig, search: string): Durability {
  const asked = new URLSearchParams(search).get('durability');
  if (asked === null) return config.durability;
  if (!isDurability(asked))
    throw new Error(`durability must be one of ${DURABILITIES.join(', ')}, not ${JSON.stringify(asked.slice(0, 40))}`);
  return asked;
}

/**
 * The replicas a page's clients keep: the server's, or the page's `?replicas=`. Every client of a
 * cluster must run by the same setting, so a parameter belongs on every page of the cluster.
 */
export function pageReplicas(config: IvyConfig, search: string): Replicas {
  const asked = new URLSearchParams(search).get('replicas');
  if (asked === null) return config.replicas;
  const n = asked.trim() === '' ? NaN : Number(asked);
  if (!isReplicas(n)) throw new Error(`replicas must be 0 or 1, not ${JSON.stringify(asked.slice(0, 40))}`);
  return n;
}

/**
 * The time limits a page's nodes run by: the server's, then the page's URL parameters under the
 * limits' own names (`?pulseIntervalMs=40`). Every node of a cluster must run by the same lease,
 * so a parameter belongs on every page of the cluster.
 */
export function pageTiming(config: IvyConfig, search: string): Partial<Timing> {
  const params = new URLSearchParams(search);
  const read = readTiming(
    (name) => params.get(name),
    (name) => `the page's ${name}`,
  );
  if (!read.ok) throw new Error(read.error);
  return { ...config.timing, ...read.timing };
}

/** Fills the blanks of the configured PeerServer address from the page's location. */
export function peerServerAddress(config: IvyConfig, page: { hostname: string; port: string; protocol: string }): PeerServerAddress {
  const secure = config.peerServer.secure ?? page.protocol === 'https:';
  const pagePort = page.port === '' ? (page.protocol === 'https:' ? 443 : 80) : Number(page.port);
  return {
    host: config.peerServer.host ?? page.hostname,
    port: config.peerServer.port ?? pagePort,
    secure,
    path: config.peerServer.path,
    key: config.peerServer.key,
  };
}

export async function fetchIvyConfig(url = IVY_CONFIG_PATH): Promise<IvyConfig> {
  let response: Response;
  try {
    response = await fetch(url, { cache: 'no-store' });
  } catch (e) {
    // fetch rejects only when no answer came at all: the server is down or out of reach.
    throw new Error(`the server at ${new URL(url, location.href).origin} is unreachable (${(e as Error).message})`, { cause: e });
  }
  if (!response.ok) throw new Error(`${url}: HTTP ${response.status}; is the page served by npm start or npm run serve?`);
  const parsed = parseIvyConfig(await response.json());
  if (!parsed.ok) throw new Error(`${url}: ${parsed.error}`);
  return parsed.value;
}
