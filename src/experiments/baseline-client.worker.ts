// A central-store baseline client (and the ping end of the one-hop floor), driven by Comlink.
import * as Comlink from 'comlink';
import { createBaselineClient } from './central-store.ts';

Comlink.expose(createBaselineClient());
