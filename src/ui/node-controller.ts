// Keeps a component in step with one node worker: the latest state, log and message trace,
// pushed by the worker through a Comlink callback, so nothing polls.
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { HostEvent } from '../host/node-host.ts';
import type { NodeState } from '../host/make-node.ts';
import type { NodeHandle } from '../workers/node-handle.ts';
import { consoleLine, logLine, type ConsoleLine } from './node-console.ts';
import { isRequestSend } from './session/retry.ts';
import type { TracedMessage } from '../host/trace.ts';
import { describeError } from '../util/errors.ts';

const LINES_MAX = 200;
const TRACE_MAX = 40;
const REQUEST_SENDS_MAX = 30;

export class NodeController implements ReactiveController {
  state: NodeState | null = null;
  lines: readonly ConsoleLine[] = [];
  trace: readonly string[] = [];
  /** This client's recent request sends, to say what its request in flight is doing. */
  requestSends: readonly TracedMessage[] = [];
  private unsubscribe: (() => void) | null = null;
  private connected = false;

  constructor(
    private readonly host: ReactiveControllerHost,
    readonly handle: NodeHandle,
  ) {
    host.addController(this);
  }

  hostConnected(): void {
    this.connected = true;
    void this.follow();
  }

  hostDisconnected(): void {
    this.connected = false;
    this.unsubscribe?.();
    this.unsubscribe = null;
  }

  /** Lines are replaced, never mutated, so Lit sees the change. */
  append(...lines: ConsoleLine[]): void {
    this.lines = [...this.lines, ...lines].slice(-LINES_MAX);
    this.host.requestUpdate();
  }

  /** Asks for the node's state now (after an operation, so the table agrees with its result). */
  async refresh(): Promise<void> {
    try {
      this.state = await this.handle.snapshot();
      this.host.requestUpdate();
    } catch {
      // A killed node keeps its last state; its card is going away.
    }
  }

  private async follow(): Promise<void> {
    try {
      const unsubscribe = await this.handle.subscribe((e) => this.onEvent(e));
      if (!this.connected) return unsubscribe();
      this.unsubscribe = unsubscribe;
      this.state = await this.handle.snapshot();
      this.host.requestUpdate();
    } catch (e) {
      this.append(consoleLine('error', `error: ${describeError(e)}`));
    }
  }

  private onEvent(e: HostEvent): void {
    switch (e.type) {
      case 'state':
        this.state = e.state;
        break;
      case 'log':
        this.append(logLine(e.level, e.text));
        return;
      case 'trace':
        this.trace = [...this.trace, `${e.direction === 'sent' ? '→' : '←'} ${e.text}`].slice(-TRACE_MAX);
        if (isRequestSend(e.message, this.handle.id)) this.requestSends = [...this.requestSends, e.message].slice(-REQUEST_SENDS_MAX);
        break;
      // Results are shown by whoever asked for the operation.
      case 'op-done':
        return;
    }
    this.host.requestUpdate();
  }
}
