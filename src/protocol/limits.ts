// Every bound the protocol holds anything to, in one place, with units last in the names. A
// value from outside is checked against these before it touches state; a node never produces
// one beyond them.

/** The largest page a client stores, in UTF-8 bytes, unless a cluster is configured otherwise. */
export const PAGE_SIZE_BYTES_DEFAULT = 4096;

/**
 * Epochs count takeovers: no cluster comes near this (a takeover a second for 68 years), and
 * kept far below 2^53 an epoch plus one is always an exact integer of the right parity.
 */
export const EPOCH_MAX = 2 ** 31 - 1;

/** Page versions count writes to one page; the same reasoning as for epochs. */
export const VERSION_MAX = 2 ** 48;

/** Items in any one list of a frame (pages in a report, members, metadata entries). */
export const LIST_LENGTH_MAX = 65_536;

/** Items in all the lists of one frame together, nested ones included (copy sets in metadata). */
export const FRAME_ITEMS_MAX = 262_144;

export const REASON_LENGTH_MAX = 500;

/** Requests one page's queue holds at the CM; more are refused at once ("busy"). */
export const QUEUE_LENGTH_MAX = 1_024;

/** Pages handed on that a client remembers, to send again if the transfer was lost. */
export const GHOSTS_MAX = 256;
