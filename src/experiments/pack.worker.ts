// Entry point of an experiment's packed worker: several experiment nodes in one thread (pack.ts).
import * as Comlink from 'comlink';
import { createPack } from '../workers/pack.ts';
import { createExperimentWorkerApi } from './experiment-worker.ts';

Comlink.expose(createPack((thread) => createExperimentWorkerApi(thread)));
