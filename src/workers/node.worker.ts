// Entry point of a node's dedicated Web Worker: the page drives it through Comlink.
import * as Comlink from 'comlink';
import { createWorkerApi } from './worker-api.ts';

Comlink.expose(createWorkerApi());
