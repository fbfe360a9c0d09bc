// Server settings from the environment, checked once at start-up. Every setting has a default
// that needs no configuration on one machine; the names are documented in docs/configuration.md.
import { readTiming, timingEnvName, type Timing } from '../protocol/config.ts';
import { iceServersError, isPort, PEER_ID_PREFIX_PATTERN, type IvyConfig } from '../net/ivy-config.ts';
import { DURABILITIES, DURABILITY_DEFAULT, isDurability, isReplicas, type Durability, type Replicas } from '../protocol/config.ts';

export interface ServerConfig {
  /** Where the embedded PeerServer is mounted on our own HTTP server. */
  peerPath: string;
  /** The PeerServer's API key (PeerJS's `key`), not a secret. */
  peerKey: string;
  /** What tabs are told to use; null fields mean "the page's own origin". */
  advertised: { host: string | null; port: number | null; secure: boolean | null };
  clusterKey: string;
  /** Whether /ivy-config.json hands the cluster key to every page that asks. */
  serveClusterKey: boolean;
  iceServers: RTCIceServer[];
  peerIdPrefix: string;
  /** Time limits other than the defaults (IVY_PULSE_INTERVAL_MS and the like), for every page. */
  timing: Partial<Timing>;
  /** How far a node's commit goes before what depends on it leaves (IVY_DURABILITY). */
  durability: Durability;
  /** Replicas each page keeps beyond its owner (IVY_REPLICAS, 0 or 1). */
  replicas: Replicas;
}

export const DEFAULT_CLUSTER_KEY = 'ivy-local-cluster';

type Env = Record<string, string | undefined>;

function fail(name: string, why: string): never {
  throw new Error(`${name}: ${why}`);
}

function path(env: Env): string {
  const raw = env.IVY_PEER_PATH ?? '/peerjs';
  if (!/^\/[A-Za-z0-9_\-/]*$/.test(raw)) fail('IVY_PEER_PATH', 'must start with / and hold only letters, digits, -, _ and /');
  const trimmed = raw.replace(/\/+$/, '');
  return trimmed === '' ? fail('IVY_PEER_PATH', 'must not be / (the app lives there)') : trimmed;
}

function iceServers(env: Env): RTCIceServer[] {
  const raw = env.IVY_ICE_SERVERS;
  if (raw === undefined || raw.trim() === '') return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    fail('IVY_ICE_SERVERS', 'is not JSON (expected e.g. [{"urls":"stun:stun.example.org:3478"}])');
  }
  const error = iceServersError(parsed);
  return error ? fail('IVY_ICE_SERVERS', error) : (parsed as RTCIceServer[]);
}

function advertised(env: Env): ServerConfig['advertised'] {
  const host = env.IVY_PEER_HOST || null;
  const portText = env.IVY_PEER_PORT;
  const port = portText ? Number(portText) : null;
  if (port !== null && !isPort(port)) fail('IVY_PEER_PORT', 'must be a port number');
  const secureText = env.IVY_PEER_SECURE;
  if (secureText && secureText !== 'true' && secureText !== 'false') fail('IVY_PEER_SECURE', 'must be true or false');
  return { host, port, secure: secureText ? secureText === 'true' : null };
}

function timing(env: Env): Partial<Timing> {
  const read = readTiming((name) => env[timingEnvName(name)] || null, timingEnvName);
  if (!read.ok) throw new Error(read.error);
  return read.timing;
}

export function readServerConfig(env: Env = process.env): ServerConfig {
  const clusterKey = env.IVY_CLUSTER_KEY ?? DEFAULT_CLUSTER_KEY;
  if (clusterKey.length < 8) fail('IVY_CLUSTER_KEY', 'must be at least 8 characters');
  const peerIdPrefix = env.IVY_PEER_ID_PREFIX ?? 'ivy';
  if (!PEER_ID_PREFIX_PATTERN.test(peerIdPrefix)) fail('IVY_PEER_ID_PREFIX', 'must be 1-32 letters, digits, - or _');
  const serveText = env.IVY_SERVE_CLUSTER_KEY ?? 'true';
  if (serveText !== 'true' && serveText !== 'false') fail('IVY_SERVE_CLUSTER_KEY', 'must be true or false');
  const peerKey = env.IVY_PEER_KEY ?? 'peerjs';
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(peerKey)) fail('IVY_PEER_KEY', 'must be 1-64 letters, digits, - or _');
  return {
    peerPath: path(env),
    peerKey,
    advertised: advertised(env),
    clusterKey,
    serveClusterKey: serveText === 'true',
    iceServers: iceServers(env),
    peerIdPrefix,
    timing: timing(env),
    durability: durability(env),
    replicas: replicas(env),
  };
}

function replicas(env: Env): Replicas {
  const raw = env.IVY_REPLICAS || '0';
  const n = Number(raw);
  return isReplicas(n) ? n : fail('IVY_REPLICAS', 'must be 0 or 1');
}

function durability(env: Env): Durability {
  const raw = env.IVY_DURABILITY || DURABILITY_DEFAULT;
  return isDurability(raw) ? raw : fail('IVY_DURABILITY', `must be one of ${DURABILITIES.join(', ')}`);
}

/** The document served as /ivy-config.json. */
export function clientConfig(c: ServerConfig): IvyConfig {
  return {
    peerServer: { ...c.advertised, path: c.peerPath, key: c.peerKey },
    iceServers: c.iceServers,
    clusterKey: c.serveClusterKey ? c.clusterKey : null,
    peerIdPrefix: c.peerIdPrefix,
    timing: c.timing,
    durability: c.durability,
    replicas: c.replicas,
  };
}
