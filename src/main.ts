// Boots the dashboard: open the registry, build the in-page cluster, hand both to the app.
import { fetchIvyConfig, pageTiming } from './net/ivy-config.ts';
import { Registry } from './registry/registry.ts';
import { Cluster } from './workers/cluster.ts';
import { spawnNodeWorker } from './workers/spawn.ts';
import { ClusterModel, REGISTRY_CHANNEL } from './ui/cluster-model.ts';
import { ProtocolSession } from './ui/session/protocol-session.ts';
import type { IvyApp } from './ui/app.ts';
import './ui/app.ts';
import './ui/styles.css';
import { randomHex } from './util/random-hex.ts';

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
  try {
    timing = pageTiming(await fetchIvyConfig(), location.search);
  } catch (e) {
    app.failure = `the time limits: ${(e as Error).message}`;
    return;
  }
  try {
    const registry = await Registry.open();
    const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(REGISTRY_CHANNEL) : null;
    const model = new ClusterModel(registry, new Cluster(spawnNodeWorker, undefined, timing), tabAddress(), channel);
    await model.refresh();
    const session = new ProtocolSession(model.cluster);
    model.onReset(() => session.reset());
    app.session = session;
    app.model = model;
    // `?debug` hands the model to scripts: the e2e specs drive write streams and time failovers
    // through it, with no extra controls in the page.
    if (new URLSearchParams(location.search).has('debug')) Object.assign(window, { ivy: model });
  } catch (e) {
    app.failure = `could not open the cluster registry (IndexedDB): ${(e as Error).message}`;
  }
}

const app = document.querySelector<IvyApp>('ivy-app');
if (app) void boot(app);
