// Entry point of a tab's log worker (log-worker-api.ts).
import * as Comlink from 'comlink';
import { createLogWorkerApi } from './log-worker-api.ts';

Comlink.expose(createLogWorkerApi());
