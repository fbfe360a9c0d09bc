// Entry point of an experiment's node worker: the page drives it through Comlink.
import * as Comlink from 'comlink';
import { createExperimentWorkerApi } from './experiment-worker.ts';

Comlink.expose(createExperimentWorkerApi());
