/**
 * MIGRATE and RESTORE-ASKING (Redis 7.2's cluster.c migrateCommand, which
 * works on a standalone server too).
 *
 * MIGRATE serializes the keys as DUMP does, sends them to the target as
 * RESTORE (RESTORE-ASKING in cluster mode, as Redis 7.2 does, so a target
 * importing the slot takes them; with REPLACE when asked, and the TTL left)
 * after AUTH and SELECT
 * in one pipelined write, reads the replies, and deletes each key the
 * target accepted unless COPY was given (propagated as one DEL of those
 * keys, with a `del` keyspace event each). The exchange runs on a worker
 * thread while this thread waits (util/migrate-link.ts): like Redis, the
 * server runs nothing else meanwhile, which is what makes MIGRATE atomic
 * for the source keys. A MIGRATE to a server in the same process would wait
 * for itself: the target must be another process.
 *
 * RESTORE-ASKING is RESTORE flagged `asking`: the cluster gate
 * (cluster/redirect.ts) serves it on a node importing the key's slot as if
 * the client had sent ASKING; a standalone server runs it as RESTORE.
 * On the source, a slot being migrated keeps MIGRATE local (the gate lets
 * it through whatever keys are missing), while other commands on keys
 * already moved get -ASK to the target.
 */
import { command, keyArg, keyAt, keysAfter, OVERWRITE, READ_DELETE, type CommandSpec, type Ctx } from './spec.js';
import { is } from './args.js';
import { Err, ReplyError } from '../protocol/errors.js';
import { parseInt64 } from '../util/numbers.js';
import { dumpPayload } from '../persistence/rdb.js';
import { rdbOptions } from '../persistence/snapshot.js';
import { migrateGetKeys } from './keys-of.js';
import { restore, RESTORE_ARGS, RESTORE_COMPLEXITY, RESTORE_HISTORY } from './persistence.js';

/** Redis's getLongFromObjectOrReply: a string2ll integer (64-bit), else the not-an-integer error. */
function argLong(s: string): bigint {
  const n = parseInt64(s);
  if (n === null) throw new ReplyError(Err.notInteger);
  return BigInt(n);
}

/** RESP bulk string (latin1 bytes). */
const bulk = (s: string) => `$${s.length}\r\n${s}\r\n`;

/**
 * MIGRATE host port key|"" destination-db timeout [COPY] [REPLACE]
 *   [AUTH password | AUTH2 username password] [KEYS key [key ...]]
 */
function migrate(ctx: Ctx): void {
  const { server, db, argv, reply } = ctx;
  let copy = false;
  let replace = false;
  let auth: string[] | null = null;
  let firstKey = 3;
  let numKeys = 1;
  for (let j = 6; j < argv.length; j++) {
    const more = argv.length - 1 - j;
    if (is(argv[j], 'COPY')) copy = true;
    else if (is(argv[j], 'REPLACE')) replace = true;
    else if (is(argv[j], 'AUTH')) {
      if (more < 1) throw new ReplyError(Err.syntax);
      auth = [argv[++j]!];
    } else if (is(argv[j], 'AUTH2')) {
      if (more < 2) throw new ReplyError(Err.syntax);
      auth = [argv[j + 1]!, argv[j + 2]!];
      j += 2;
    } else if (is(argv[j], 'KEYS')) {
      if (argv[3]!.length !== 0) throw new ReplyError(Err.migrateKeysNeedEmptyKey);
      firstKey = j + 1;
      numKeys = argv.length - j - 1;
      break;
    } else throw new ReplyError(Err.syntax);
  }
  let timeout = argLong(argv[5]!);
  const dbid = argLong(argv[4]!);
  if (timeout <= 0n) timeout = 1000n;

  // The keys that are here (expired ones are not); none: NOKEY, not an error.
  const keys: string[] = [];
  const vals = [];
  for (let j = 0; j < numKeys; j++) {
    const k = argv[firstKey + j]!;
    const v = db.read(k);
    if (v !== undefined) {
      keys.push(k);
      vals.push(v);
    }
  }
  if (keys.length === 0) return reply.simple('NOKEY');

  // The RESTORE commands, each with the TTL left (at least 1 ms).
  const now = server.now();
  const opts = rdbOptions(server);
  // in cluster mode the target may be importing the slot: RESTORE-ASKING is served there without ASKING
  const restoreCmd = server.cluster.enabled ? '$14\r\nRESTORE-ASKING\r\n' : '$7\r\nRESTORE\r\n';
  let body = '';
  const sent: string[] = [];
  for (let j = 0; j < keys.length; j++) {
    const k = keys[j]!;
    const when = db.getExpireExact(k);
    let ttl = 0n;
    if (when !== -1) {
      ttl = BigInt(when) - BigInt(now);
      if (ttl < 0n) continue;
      if (ttl < 1n) ttl = 1n;
    }
    sent.push(k);
    body +=
      (replace ? '*5\r\n' : '*4\r\n') +
      restoreCmd +
      bulk(k) +
      bulk(String(ttl)) +
      bulk(dumpPayload(vals[j]!, opts).latin1Slice());
    if (replace) body += '$7\r\nREPLACE\r\n';
  }

  const ms = timeout > 2147483647n ? 2147483647 : Number(timeout);
  const out = server.migrate
    .link()
    .exchange(
      { host: argv[1]!, port: argv[2]!, timeout: ms, dbid: String(dbid), auth, body, count: sent.length },
      Math.min(2 ** 31 - 1, ms * (sent.length + 4) + 1000),
    );
  if (out.kind === 'connect') throw new ReplyError(Err.migrateConnect);
  if (out.kind === 'write') throw new ReplyError(Err.migrateIo('writing'));

  // Each key the target accepted goes, unless COPY (Redis deletes as it reads the replies).
  const deleted: string[] = [];
  for (let j = 0; j < out.ok.length; j++) {
    if (!out.ok[j] || copy) continue;
    const k = sent[j]!;
    db.delete(k);
    db.notify('g', 'del', k);
    deleted.push(k);
  }
  ctx.replayAs(deleted.length !== 0 ? [['DEL', ...deleted]] : []);
  const fromTarget = out.ok.some((ok) => !ok);
  if (fromTarget) throw new ReplyError(Err.migrateTarget(out.error.slice(1)));
  if (out.readFailed) throw new ReplyError(Err.migrateIo('reading'));
  reply.ok();
}

export const commands: readonly CommandSpec[] = [
  command({
    name: 'migrate',
    arity: -6,
    flags: ['write'],
    acl: ['keyspace', 'dangerous'],
    keySpecs: [keyAt(3, READ_DELETE), keysAfter('KEYS', -2, ['RW', 'access', 'delete', 'incomplete'])],
    getKeys: migrateGetKeys,
    tips: ['nondeterministic_output'],
    group: 'generic',
    since: '2.6.0',
    summary: 'Moves keys to another server atomically (DUMP, RESTORE on the target, then DEL here).',
    complexity:
      'This command actually executes a DUMP+DEL in the source instance, and a RESTORE in the target instance. See the pages of these commands for time complexity. Also an O(N) data transfer between the two instances is performed.',
    history: [
      ['3.0.0', 'Added the `COPY` and `REPLACE` options.'],
      ['3.0.6', 'Added the `KEYS` option.'],
      ['4.0.7', 'Added the `AUTH` option.'],
      ['6.0.0', 'Added the `AUTH2` option.'],
    ],
    args: [
      { name: 'host', type: 'string' },
      { name: 'port', type: 'integer' },
      {
        name: 'key-selector',
        type: 'oneof',
        arguments: [keyArg(), { name: 'empty-string', type: 'pure-token', token: '' }],
      },
      { name: 'destination-db', type: 'integer' },
      { name: 'timeout', type: 'integer' },
      { name: 'copy', type: 'pure-token', token: 'COPY', since: '3.0.0', flags: ['optional'] },
      { name: 'replace', type: 'pure-token', token: 'REPLACE', since: '3.0.0', flags: ['optional'] },
      {
        name: 'authentication',
        type: 'oneof',
        flags: ['optional'],
        arguments: [
          { name: 'auth', type: 'string', display_text: 'password', token: 'AUTH', since: '4.0.7' },
          {
            name: 'auth2',
            type: 'block',
            token: 'AUTH2',
            since: '6.0.0',
            arguments: [
              { name: 'username', type: 'string' },
              { name: 'password', type: 'string' },
            ],
          },
        ],
      },
      {
        name: 'keys',
        type: 'key',
        display_text: 'key',
        key_spec_index: 1,
        token: 'KEYS',
        since: '3.0.6',
        flags: ['optional', 'multiple'],
      },
    ],
    handler: migrate,
  }),
  command({
    name: 'restore-asking',
    arity: -4,
    flags: ['write', 'denyoom', 'asking'],
    acl: ['keyspace', 'dangerous'],
    keySpecs: [keyAt(1, OVERWRITE)],
    group: 'server',
    since: '3.0.0',
    summary: 'Creates a key from a DUMP payload, for a migration in a cluster (RESTORE on a standalone server).',
    complexity: RESTORE_COMPLEXITY,
    docFlags: ['syscmd'],
    history: RESTORE_HISTORY,
    args: RESTORE_ARGS,
    handler: restore,
  }),
];
