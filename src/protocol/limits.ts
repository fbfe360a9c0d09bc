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

/**
 * How far beyond the epoch a node knows it believes another CM's word for a newer one: a
 * takeover raises the epoch by one or two, so this covers 512 takeovers missed in a row, and a
 * peer's claim of more (a forged or garbled frame) is refused rather than saved for good.
 */
export const EPOCH_JUMP_MAX = 1024;

/** Page versions count writes to one page; the same reasoning as for epochs. */
export const VERSION_MAX = 2 ** 48;

/** Any other counter on the wire (heartbeat and reply numbers, lease lengths in ms). */
export const COUNT_MAX = 2 ** 48;

/**
 * Pages one cluster's directory holds, and so pages one report may name. The product's largest
 * runs use 10,000 pages; each page costs the CM a few hundred bytes and every takeover a look at
 * it, so a peer must not make it hold an unbounded number.
 */
export const CLUSTER_PAGES_MAX = 16_384;

/** Items in any one list of a frame (pages in a report, members, metadata entries). */
export const LIST_LENGTH_MAX = 65_536;

/** Items in all the lists of one frame together, nested ones included (copy sets in metadata). */
export const FRAME_ITEMS_MAX = 262_144;

export const REASON_LENGTH_MAX = 500;

/**
 * Characters of page content one CM-to-CM frame carries in replicas (a quarter of what a link
 * takes in one message, net/chunking.ts): a full copy of many replicas follows over several replies.
 */
export const REPLICA_CHARS_PER_FRAME = 4 * 1024 * 1024;

/** Requests one page's queue holds at the CM; more are refused at once ("busy"). */
export const QUEUE_LENGTH_MAX = 1_024;

/** Pages handed on that a client remembers, to send again if the transfer was lost. */
export const GHOSTS_MAX = 256;
