/**
 * The keys of the pipelined commands a connection read ahead
 * (server/dispatcher.ts readAhead), with their hashes: the keyspace reads
 * their dict entries together before the commands run (Db.prefetch), and
 * each command's lookups take the hash from here instead of hashing the
 * key again (Db's lookups call hashOf).
 *
 * Why: at -P 16 over 100k keys, a GET's or SET's samples were mostly its
 * dict probe, three dependent cache misses (index entry, key string,
 * value) taken one key at a time. Read for the batch loop by loop, the
 * misses of 16 keys overlap (Redis 8 prefetches a pipeline's keys for the
 * same reason). bench/RESULTS.md, "Issue 19, tenth session".
 *
 * hashOf() compares the key with the next one of the running command (and
 * the one before, a key looked up twice): a string equal to a batch key has
 * that key's hash, so a command the batch does not describe (one the
 * dispatcher refused, a script's) only costs a comparison.
 */
import { hashKey } from './keyindex.js';

/** Slots of the memo of recently hashed keys (a power of two). */
const RECENT = 64;
/** Keys longer than this are not kept in the memo (it would keep them alive). */
const RECENT_MAX_KEY = 256;
const recentKeys = new Array<string>(RECENT).fill('');
const recentHashes = new Int32Array(RECENT);

/**
 * hashKey through a direct-mapped memo of the keys hashed last, for lookups
 * no batch describes: a script's commands name the same keys again and
 * again (a BullMQ job's key, its queue's lists: about 25 lookups a job, the
 * SipHash of each key 6.5% of a Worker's server CPU). The hash of a string
 * never changes (the key is per process), so the memo is never stale; a slot
 * is picked by the key's length, last byte and middle byte, and a miss
 * costs one string comparison. The cron empties it (forgetRecentHashes): a key that
 * is a slice of a bigger string (a script's key cut from a reply) keeps
 * that string alive while it is here.
 */
function recentHash(key: string): number {
  const n = key.length;
  if (n === 0 || n > RECENT_MAX_KEY) return hashKey(key);
  const i = (n ^ (key.charCodeAt(n - 1) << 1) ^ (key.charCodeAt(n >> 1) << 3)) & (RECENT - 1);
  if (recentKeys[i] === key) return recentHashes[i]!;
  const h = hashKey(key);
  recentKeys[i] = key;
  recentHashes[i] = h;
  return h;
}

/** Empties the memo of recently hashed keys (each cron tick: see recentHash). */
export function forgetRecentHashes(): void {
  recentKeys.fill('');
}

/** The most keys one batch holds (16 commands of one key, or fewer of several). */
export const BATCH_KEYS = 32;
/** The most commands one batch describes. */
export const BATCH_COMMANDS = 16;

export class KeyBatch {
  readonly keys: string[] = new Array<string>(BATCH_KEYS).fill('');
  readonly hashes = new Int32Array(BATCH_KEYS);
  /** Keys in the batch. */
  n = 0;
  /**
   * Members of one collection (the first that a command with members
   * named: CommandSpec.members, HSET's fields, ZADD's members...) that the
   * batch's commands name, and their hashes once hashMembers() ran: a big
   * hash's, set's or sorted set's index reads their entries together, as
   * the keyspace's does for the keys (Db.prefetch).
   */
  readonly members: string[] = new Array<string>(BATCH_KEYS).fill('');
  readonly memberHashes = new Int32Array(BATCH_KEYS);
  /** Members in the batch. */
  nm = 0;
  /** The key of the collection whose members are in the batch (null: none yet), and its hash. */
  memberKey: string | null = null;
  memberKeyHash = 0;
  /** Where each command's keys start (starts[i] for command i). */
  private readonly starts = new Int32Array(BATCH_COMMANDS + 1);
  /** Commands described, and the next one to run. */
  private cmds = 0;
  private cmd = 0;
  /** The running command's keys: [from, end), the next expected at `at`. */
  private from = 0;
  private at = 0;
  private end = 0;

  /** A command read ahead: the keys added next are its. */
  addCommand(): void {
    this.starts[this.cmds++] = this.n;
  }

  /** Adds a key of the last command added; false when the batch is full. */
  add(key: string): boolean {
    if (this.n === BATCH_KEYS) return false;
    this.keys[this.n] = key;
    this.hashes[this.n++] = hashKey(key);
    return true;
  }

  /** Adds a member of the collection at memberKey; false when the batch is full. */
  addMember(member: string): boolean {
    if (this.nm === BATCH_KEYS) return false;
    this.members[this.nm++] = member;
    return true;
  }

  /** Fills memberHashes (only when the members are read ahead: a batch of one costs no hashing). */
  hashMembers(): void {
    for (let i = 0; i < this.nm; i++) this.memberHashes[i] = hashKey(this.members[i]!);
  }

  /** The next command read ahead is about to run. */
  next(): void {
    const i = this.cmd++;
    if (i < this.cmds) {
      this.from = this.at = this.starts[i]!;
      this.end = i + 1 < this.cmds ? this.starts[i + 1]! : this.n;
    } else this.from = this.at = this.end = 0;
  }

  /** The hash of `key`, from the batch when it is the running command's next key (or the one before). */
  hashOf(key: string): number {
    const a = this.at;
    if (a < this.end && this.keys[a] === key) {
      this.at = a + 1;
      return this.hashes[a]!;
    }
    if (a > this.from && this.keys[a - 1] === key) return this.hashes[a - 1]!;
    return recentHash(key);
  }

  /** Empties the batch (and lets go of its strings). */
  clear(): void {
    if (this.cmds === 0) return;
    for (let i = 0; i < this.n; i++) this.keys[i] = '';
    for (let i = 0; i < this.nm; i++) this.members[i] = '';
    this.memberKey = null;
    this.n = this.nm = this.cmds = this.cmd = 0;
    this.from = this.at = this.end = 0;
  }
}
