/**
 * True only in vite's e2e mode (vite.config.ts): a literal vite puts in place of the name, so that
 * a branch it guards is left out of `npm run build`'s output altogether, strings and all.
 */
declare const __IVY_DEBUG__: boolean;
