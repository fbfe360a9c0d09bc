// Server settings from the environment, the /ivy-config.json document tabs read, and the
// production server's HTTP handling.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pageTiming, parseIvyConfig, peerServerAddress } from '../../src/net/ivy-config.ts';
import { clientConfig, DEFAULT_CLUSTER_KEY, readServerConfig } from '../../src/server/config.ts';
import { appServer } from '../../src/server/app.ts';

describe('server configuration', () => {
  it('needs nothing set: PeerServer at /peerjs, no ICE servers, a local cluster key', () => {
    const c = readServerConfig({});
    expect(c).toEqual({
      peerPath: '/peerjs',
      peerKey: 'peerjs',
      advertised: { host: null, port: null, secure: null },
      clusterKey: DEFAULT_CLUSTER_KEY,
      serveClusterKey: true,
      iceServers: [],
      peerIdPrefix: 'ivy',
      timing: {},
      durability: 'process',
      replicas: 0,
    });
    expect(parseIvyConfig(JSON.parse(JSON.stringify(clientConfig(c))))).toEqual({ ok: true, value: clientConfig(c) });
  });

  it('reads every setting from IVY_* variables', () => {
    const c = readServerConfig({
      IVY_PEER_PATH: '/signal/',
      IVY_PEER_KEY: 'k1',
      IVY_PEER_HOST: 'peers.lan',
      IVY_PEER_PORT: '9000',
      IVY_PEER_SECURE: 'true',
      IVY_CLUSTER_KEY: 'correct horse battery',
      IVY_SERVE_CLUSTER_KEY: 'false',
      IVY_ICE_SERVERS: '[{"urls":"stun:stun.lan:3478"}]',
      IVY_PEER_ID_PREFIX: 'lab2',
      IVY_PULSE_INTERVAL_MS: '250',
      IVY_PULSE_MISSES_MAX: '4',
      IVY_LEASE_MS: '2000',
      IVY_QUEUE_DEADLINE_MS: '',
      IVY_DURABILITY: 'disk',
      IVY_REPLICAS: '1',
    });
    expect(c).toEqual({
      peerPath: '/signal',
      peerKey: 'k1',
      advertised: { host: 'peers.lan', port: 9000, secure: true },
      clusterKey: 'correct horse battery',
      serveClusterKey: false,
      iceServers: [{ urls: 'stun:stun.lan:3478' }],
      peerIdPrefix: 'lab2',
      timing: { pulseIntervalMs: 250, pulseMissesMax: 4, leaseMs: 2000 },
      durability: 'disk',
      replicas: 1,
    });
    expect(clientConfig(c).clusterKey).toBeNull();
    expect(parseIvyConfig(JSON.parse(JSON.stringify(clientConfig(c))))).toEqual({ ok: true, value: clientConfig(c) });
  });

  it('refuses bad settings at start-up, naming the variable', () => {
    expect(() => readServerConfig({ IVY_PEER_PATH: '/' })).toThrow('IVY_PEER_PATH');
    expect(() => readServerConfig({ IVY_DURABILITY: 'fsync' })).toThrow('IVY_DURABILITY: must be one of process, disk');
    expect(() => readServerConfig({ IVY_PEER_PATH: 'peerjs' })).toThrow('IVY_PEER_PATH');
    expect(() => readServerConfig({ IVY_CLUSTER_KEY: 'short' })).toThrow('IVY_CLUSTER_KEY: must be at least 8 characters');
    expect(() => readServerConfig({ IVY_ICE_SERVERS: 'stun:x' })).toThrow('IVY_ICE_SERVERS: is not JSON');
    expect(() => readServerConfig({ IVY_ICE_SERVERS: '[{"url":"stun:x"}]' })).toThrow('IVY_ICE_SERVERS: each ICE server needs urls');
    expect(() => readServerConfig({ IVY_PEER_PORT: '70000' })).toThrow('IVY_PEER_PORT');
    expect(() => readServerConfig({ IVY_PEER_SECURE: 'yes' })).toThrow('IVY_PEER_SECURE');
    expect(() => readServerConfig({ IVY_PEER_ID_PREFIX: 'a b' })).toThrow('IVY_PEER_ID_PREFIX');
    expect(() => readServerConfig({ IVY_SERVE_CLUSTER_KEY: '0' })).toThrow('IVY_SERVE_CLUSTER_KEY');
    expect(() => readServerConfig({ IVY_PULSE_INTERVAL_MS: '100ms' })).toThrow(
      'IVY_PULSE_INTERVAL_MS must be a number of milliseconds from 1 to 600000, not "100ms"',
    );
    expect(() => readServerConfig({ IVY_CM_ATTEMPTS_MAX: '2.5' })).toThrow('IVY_CM_ATTEMPTS_MAX must be an integer');
    expect(() => readServerConfig({ IVY_LEASE_MS: '0' })).toThrow('IVY_LEASE_MS');
  });
});

describe('the config document in the tab', () => {
  const doc = clientConfig(readServerConfig({}));

  it('fills the PeerServer address from the page when the server left it open', () => {
    expect(peerServerAddress(doc, { hostname: '192.168.1.20', port: '5173', protocol: 'http:' })).toEqual({
      host: '192.168.1.20',
      port: 5173,
      secure: false,
      path: '/peerjs',
      key: 'peerjs',
    });
    expect(peerServerAddress(doc, { hostname: 'ivy.example', port: '', protocol: 'https:' })).toEqual({
      host: 'ivy.example',
      port: 443,
      secure: true,
      path: '/peerjs',
      key: 'peerjs',
    });
    const fixed = clientConfig(readServerConfig({ IVY_PEER_HOST: 'peers.lan', IVY_PEER_PORT: '9000', IVY_PEER_SECURE: 'false' }));
    expect(peerServerAddress(fixed, { hostname: 'x', port: '1', protocol: 'https:' })).toEqual({
      host: 'peers.lan',
      port: 9000,
      secure: false,
      path: '/peerjs',
      key: 'peerjs',
    });
  });

  it('rejects malformed documents', () => {
    expect(parseIvyConfig(null)).toEqual({ ok: false, error: 'not an ivy config' });
    expect(parseIvyConfig({ ...doc, clusterKey: '' })).toEqual({ ok: false, error: 'clusterKey must be a non-empty string or null' });
    expect(parseIvyConfig({ ...doc, iceServers: {} })).toEqual({ ok: false, error: 'iceServers must be an array' });
    expect(parseIvyConfig({ ...doc, peerServer: { ...doc.peerServer, port: 0 } })).toEqual({
      ok: false,
      error: 'peerServer.port must be a port or null',
    });
    expect(parseIvyConfig({ ...doc, timing: { pulseMs: 50 } })).toEqual({ ok: false, error: 'unknown timing "pulseMs"' });
    expect(parseIvyConfig({ ...doc, timing: undefined })).toEqual({ ok: false, error: 'timing must be an object' });
  });

  it('takes the time limits from the server, then from the page address', () => {
    const served = clientConfig(readServerConfig({ IVY_PULSE_INTERVAL_MS: '250', IVY_LEASE_MS: '2000' }));
    expect(pageTiming(served, '')).toEqual({ pulseIntervalMs: 250, leaseMs: 2000 });
    expect(pageTiming(served, '?mode=tab&pulseIntervalMs=40&retryIntervalMs=300')).toEqual({
      pulseIntervalMs: 40,
      leaseMs: 2000,
      retryIntervalMs: 300,
    });
    expect(() => pageTiming(served, '?pulseMissesMax=three')).toThrow(
      'the page\'s pulseMissesMax must be an integer from 1 to 600000, not "three"',
    );
  });
});

describe('the production server', () => {
  /** A raw GET, so that paths such as /../x reach the server as written. */
  function get(port: number, path: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, path }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => {
          body += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });
  }

  it('serves the built app, hashed assets for good, /ivy-config.json, and nothing outside dist/', async () => {
    const top = mkdtempSync(join(tmpdir(), 'ivy-serve-'));
    const root = join(top, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><title>app</title>');
    writeFileSync(join(root, 'assets', 'main-abc123.js'), 'export {};');
    writeFileSync(join(top, 'secret.txt'), 'outside dist');
    const server = appServer(root, readServerConfig({ IVY_CLUSTER_KEY: 'served-key-1' }), () => {});
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    try {
      const index = await get(port, '/');
      expect([index.status, index.body, index.headers['cache-control']]).toEqual([200, '<!doctype html><title>app</title>', 'no-cache']);
      const asset = await get(port, '/assets/main-abc123.js?v=1');
      expect([asset.status, asset.headers['cache-control']]).toEqual([200, 'public, max-age=31536000, immutable']);
      expect(String(asset.headers['content-type'])).toMatch(/javascript/);
      const config = await get(port, '/ivy-config.json');
      expect(JSON.parse(config.body)).toMatchObject({ clusterKey: 'served-key-1', peerServer: { path: '/peerjs' } });
      for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2Fsecret.txt', '/assets/../../secret.txt', '/a%00b', '/%E0%A4%A']) {
        const r = await get(port, path);
        expect(r.body, path).not.toContain('outside dist');
        expect(r.status, path).toBeGreaterThanOrEqual(400);
      }
      expect((await get(port, '/missing.js')).status).toBe(404);
    } finally {
      await new Promise((r) => server.close(r));
      rmSync(top, { recursive: true, force: true });
    }
  });
});
