// Boots the dashboard: open the registry, build the in-page cluster, hand both to the app.
import { fetchIvyConfig, pageDurability, pageReplicas, pageTiming } from './net/ivy-config.ts';
import { Registry } from './registry/registry.ts';
import { Cluster } from './workers/cluster.ts';
import { spawnNodeWorker, spawnPackWorker } from './workers/spawn.ts';
import { packedSpawner, placementParam } from './workers/placement.ts';
import { ClusterModel, REGISTRY_CHANNEL } from './ui/cluster-model.ts';
import { ProtocolSession } from './ui/session/protocol-session.ts';
import type { IvyApp } from './ui/app.ts';
import './ui/app.ts';
import './ui/styles.css';
import { randomHex } from './util/random-hex.ts';
import { exposeModel, exposeTab } from './debug/hooks.ts';

const TAB_ADDRESS_KEY = 'ivy-tab-address';

/**
 * Random, and available outside secure contexts too (unlike crypto.randomUUID). Kept for the
 * tab's life in sessionStorage, so after a reload the registry still says "this tab".
 */
function tabAddress(): string {
  const kept = sessionStorage.getItem(TAB_ADDRESS_KEY);
  if (kept) return kept;
  const address = `tab:${randomHex(4)}`;
  sessionStorage.setItem(TAB_ADDRESS_KEY, address);
  return address;
}

async function boot(app: IvyApp): Promise<void> {
  let timing;
  let placement;
  let durability;
  let replicas;
  try {
    const config = await fetchIvyConfig();
    timing = pageTiming(config, location.search);
    durability = pageDurability(config, location.search);
    replicas = pageReplicas(config, location.search);
  } catch (e) {
    app.failure = `the page's settings: ${(e as Error).message}`;
    return;
  }
  try {
    placement = placementParam(location.search);
  } catch (e) {
    app.failure = (e as Error).message;
    return;
  }
  try {
    const registry = await Registry.open();
    const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(REGISTRY_CHANNEL) : null;
    // Packs start when the first packed node does; a tab that never packs never spawns one.
    const cluster = new Cluster({ 'worker-per-node': spawnNodeWorker, packed: packedSpawner(spawnPackWorker).spawn }, undefined, timing);
    cluster.setPlacement(placement);
    cluster.durability = durability;
    cluster.replicas = replicas;
    const model = new ClusterModel(registry, cluster, tabAddress(), channel);
    await model.refresh();
    const session = new ProtocolSession(model.cluster);
    model.onReset(() => session.reset());
    app.session = session;
    app.model = model;
    if (__IVY_DEBUG__) exposeModel(model);
  } catch (e) {
    app.failure = `could not open the cluster registry (IndexedDB): ${(e as Error).message}`;
  }
}

const app = document.querySelector<IvyApp>('ivy-app');
if (app) void boot(app);
if (__IVY_DEBUG__) exposeTab('ivy-tab-node');
