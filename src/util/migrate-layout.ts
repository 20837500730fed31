/**
 * The shared memory between MIGRATE's main thread (migrate-link.ts) and its
 * worker (migrate-worker.ts): a header of Int32 words, then bytes.
 *
 * The main thread waits on SEQ until it holds the sequence number of its
 * request; the worker writes STATUS, READ, ERRLEN and the bytes first, then
 * SEQ, and notifies. CACHED is the worker's count of cached connections
 * (INFO migrate_cached_sockets), kept current by the worker.
 *
 * The bytes: READ status bytes (one per RESTORE reply read: 1 when it was
 * not an error), then ERRLEN bytes of the error line Redis quotes.
 */
export const SEQ = 0;
export const STATUS = 1;
export const READ = 2;
export const ERRLEN = 3;
export const CACHED = 4;
export const HEADER_WORDS = 8;
export const HEADER_BYTES = HEADER_WORDS * 4;

/** Every reply was read (some may be errors). */
export const ST_DONE = 0;
/** No connection could be made. */
export const ST_CONNECT_ERR = 1;
/** Writing the commands failed. */
export const ST_WRITE_ERR = 2;
/** Reading a reply failed: READ replies were read before. */
export const ST_READ_ERR = 3;
