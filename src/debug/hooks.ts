// The scripts' way into a page of the e2e build (vite's e2e mode), asked for with `?debug`: the
// e2e specs and the tab-mode experiments drive nodes and forge frames through these, with no extra
// controls in the page. Imported only where __IVY_DEBUG__ guards the call, so that `npm run build`
// leaves this module out and users' pages have no such door.
import type { NodeId } from '../protocol/ids.ts';
import type { TabNode } from '../tab/tab-node.ts';
import type { ClusterModel } from '../ui/cluster-model.ts';

/** What a tab's hook reaches: the view that runs its node. */
export interface TabView {
  readonly node: TabNode | null;
  choose(line: string): Promise<void>;
}

export interface TabHook {
  /** The node the tab runs now, once it has chosen one. */
  readonly node: TabNode | null;
  choose(line: string): Promise<void>;
  /** Sends any value as a protocol frame to a peer, as a hostile member could. */
  forge(to: NodeId, frame: unknown): boolean;
  /** Raw text on the data channel, past the framing. */
  sendRaw(to: NodeId, text: string): boolean;
}

declare global {
  interface Window {
    ivy?: ClusterModel;
    ivyTab?: TabHook;
  }
}

function asked(): boolean {
  return new URLSearchParams(location.search).has('debug');
}

/** The e2e specs drive write streams and time failovers through the dashboard's model. */
export function exposeModel(model: ClusterModel): void {
  if (asked()) window.ivy = model;
}

/**
 * The tab's view is found when a script asks (by its element's name, `tag`), not handed over by
 * the view: the ui layer then never imports this module, which sits above it.
 */
export function exposeTab(tag: string): void {
  if (!asked()) return;
  const find = () => document.querySelector<HTMLElement & Partial<TabView>>(tag);
  const link = (to: NodeId) => find()?.node?.mesh.slotIfAny(to)?.link;
  window.ivyTab = {
    get node() {
      return find()?.node ?? null;
    },
    choose: async (line) => {
      if (!find()) throw new Error('this page shows no tab node view (open it with ?mode=tab)');
      // The hook is here from the page's start, and the app puts the element in the page before
      // the view's module it imports has loaded: until then the element has no methods (on a
      // loaded machine a script's choice landed there: "choose is not a function").
      await customElements.whenDefined(tag);
      await (find() as TabView).choose(line);
    },
    forge: (to, frame) => link(to)?.send(frame as never) ?? false,
    sendRaw: (to, text) => {
      const l = link(to);
      if (!l) return false;
      void l.connection.send(text);
      return true;
    },
  };
}
