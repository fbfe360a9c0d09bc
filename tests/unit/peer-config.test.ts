// Server settings from the environment, the /ivy-config.json document tabs read, and the static
// file server's path checks.
import { sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseIvyConfig, peerServerAddress } from '../../src/net/ivy-config.ts';
import { clientConfig, DEFAULT_CLUSTER_KEY, readServerConfig } from '../../src/server/config.ts';
import { fileFor } from '../../src/server/static-files.ts';

describe('server configuration', () => {
  it('needs nothing set: PeerServer at /peerjs, no ICE servers, a local cluster key', () => {
    const c = readServerConfig({});
    expect(c).toEqual({
      peerPath: '/peerjs', peerKey: 'peerjs', advertised: { host: null, port: null, secure: null },
      clusterKey: DEFAULT_CLUSTER_KEY, serveClusterKey: true, iceServers: [], peerIdPrefix: 'ivy',
    });
    expect(parseIvyConfig(JSON.parse(JSON.stringify(clientConfig(c))))).toEqual({ ok: true, value: clientConfig(c) });
  });

  it('reads every setting from IVY_* variables', () => {
    const c = readServerConfig({
      IVY_PEER_PATH: '/signal/', IVY_PEER_KEY: 'k1', IVY_PEER_HOST: 'peers.lan', IVY_PEER_PORT: '9000', IVY_PEER_SECURE: 'true',
      IVY_CLUSTER_KEY: 'correct horse battery', IVY_SERVE_CLUSTER_KEY: 'false', IVY_ICE_SERVERS: '[{"urls":"stun:stun.lan:3478"}]', IVY_PEER_ID_PREFIX: 'lab2',
    });
    expect(c).toEqual({
      peerPath: '/signal', peerKey: 'k1', advertised: { host: 'peers.lan', port: 9000, secure: true },
      clusterKey: 'correct horse battery', serveClusterKey: false, iceServers: [{ urls: 'stun:stun.lan:3478' }], peerIdPrefix: 'lab2',
    });
    expect(clientConfig(c).clusterKey).toBeNull();
  });

  it('refuses bad settings at start-up, naming the variable', () => {
    expect(() => readServerConfig({ IVY_PEER_PATH: '/' })).toThrow('IVY_PEER_PATH');
    expect(() => readServerConfig({ IVY_PEER_PATH: 'peerjs' })).toThrow('IVY_PEER_PATH');
    expect(() => readServerConfig({ IVY_CLUSTER_KEY: 'short' })).toThrow('IVY_CLUSTER_KEY: must be at least 8 characters');
    expect(() => readServerConfig({ IVY_ICE_SERVERS: 'stun:x' })).toThrow('IVY_ICE_SERVERS: is not JSON');
    expect(() => readServerConfig({ IVY_ICE_SERVERS: '[{"url":"stun:x"}]' })).toThrow('IVY_ICE_SERVERS: each ICE server needs urls');
    expect(() => readServerConfig({ IVY_PEER_PORT: '70000' })).toThrow('IVY_PEER_PORT');
    expect(() => readServerConfig({ IVY_PEER_SECURE: 'yes' })).toThrow('IVY_PEER_SECURE');
    expect(() => readServerConfig({ IVY_PEER_ID_PREFIX: 'a b' })).toThrow('IVY_PEER_ID_PREFIX');
    expect(() => readServerConfig({ IVY_SERVE_CLUSTER_KEY: '0' })).toThrow('IVY_SERVE_CLUSTER_KEY');
  });
});

describe('the config document in the tab', () => {
  const doc = clientConfig(readServerConfig({}));

  it('fills the PeerServer address from the page when the server left it open', () => {
    expect(peerServerAddress(doc, { hostname: '192.168.1.20', port: '5173', protocol: 'http:' }))
      .toEqual({ host: '192.168.1.20', port: 5173, secure: false, path: '/peerjs', key: 'peerjs' });
    expect(peerServerAddress(doc, { hostname: 'ivy.example', port: '', protocol: 'https:' }))
      .toEqual({ host: 'ivy.example', port: 443, secure: true, path: '/peerjs', key: 'peerjs' });
    const fixed = clientConfig(readServerConfig({ IVY_PEER_HOST: 'peers.lan', IVY_PEER_PORT: '9000', IVY_PEER_SECURE: 'false' }));
    expect(peerServerAddress(fixed, { hostname: 'x', port: '1', protocol: 'https:' }))
      .toEqual({ host: 'peers.lan', port: 9000, secure: false, path: '/peerjs', key: 'peerjs' });
  });

  it('rejects malformed documents', () => {
    expect(parseIvyConfig(null)).toEqual({ ok: false, error: 'not an ivy config' });
    expect(parseIvyConfig({ ...doc, clusterKey: '' })).toEqual({ ok: false, error: 'clusterKey must be a non-empty string or null' });
    expect(parseIvyConfig({ ...doc, iceServers: {} })).toEqual({ ok: false, error: 'iceServers must be an array' });
    expect(parseIvyConfig({ ...doc, peerServer: { ...doc.peerServer, port: 0 } })).toEqual({ ok: false, error: 'peerServer.port must be a port or null' });
  });
});

describe('static files', () => {
  const root = `${sep}srv${sep}dist`;
  it('maps URLs inside dist/ and nothing outside it', () => {
    expect(fileFor(root, '/')).toBe(`${root}${sep}index.html`);
    expect(fileFor(root, '/assets/x.js?v=1')).toBe(`${root}${sep}assets${sep}x.js`);
    expect(fileFor(root, '/../package.json')).toBe(`${root}${sep}package.json`);
    expect(fileFor(root, '/%2e%2e/%2e%2e/etc/passwd')).toBe(`${root}${sep}etc${sep}passwd`);
    expect(fileFor(root, '/..%2F..%2Fetc%2Fpasswd')).toBeNull();
    expect(fileFor(root, '/a%00b')).toBeNull();
    expect(fileFor(root, '/%E0%A4%A')).toBeNull();
  });
});
