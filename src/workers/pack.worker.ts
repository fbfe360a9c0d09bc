// Entry point of a packed worker: several dashboard nodes in one thread (pack.ts).
import * as Comlink from 'comlink';
import { createPack } from './pack.ts';
import { createWorkerApi } from './worker-api.ts';

Comlink.expose(createPack((thread) => createWorkerApi(thread)));
