/**
 * CLUSTER, READONLY, READWRITE and ASKING as a standalone server answers
 * them: Redis without cluster-enabled replies "This instance has cluster
 * support disabled" to each, so clients probing for a cluster learn that it
 * is not one. (Redis Cluster itself is its own issue; these declarations are
 * where its subcommands will go.)
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { Err, ReplyError } from '../protocol/errors.js';

/** Every CLUSTER subcommand, READONLY, READWRITE and ASKING on a standalone server. */
function disabled(_ctx: Ctx): void {
  throw new ReplyError(Err.clusterDisabled);
}

const sub = (
  name: string,
  arity: number,
  flags: CommandSpec['flags'],
  since: string,
  summary: string,
  complexity: string,
  extra: Partial<CommandSpec> = {},
) =>
  command({
    name,
    arity,
    flags,
    group: 'cluster',
    since,
    summary,
    complexity,
    handler: disabled,
    ...extra,
  });

const nodesComplexity = 'O(N) where N is the total number of Cluster nodes';

export const commands: readonly CommandSpec[] = [
  command({
    name: 'cluster',
    arity: -2,
    flags: [],
    group: 'cluster',
    since: '3.0.0',
    summary: 'A container for Redis Cluster commands.',
    complexity: 'Depends on subcommand.',
    subcommands: [
      sub('help', 2, ['loading', 'stale'], '5.0.0', 'Lists the CLUSTER subcommands.', 'O(1)'),
      sub('info', 2, ['stale'], '3.0.0', 'Reports the state of the cluster.', 'O(1)', {
        tips: ['nondeterministic_output'],
      }),
      sub('myid', 2, ['stale'], '3.0.0', 'Returns the ID of this node.', 'O(1)'),
      sub('nodes', 2, ['stale'], '3.0.0', 'Returns the cluster configuration of this node.', nodesComplexity, {
        tips: ['nondeterministic_output'],
      }),
      sub(
        'shards',
        2,
        ['loading', 'stale'],
        '7.0.0',
        'Returns the mapping of cluster slots to shards.',
        'O(N) where N is the total number of cluster nodes',
        {
          tips: ['nondeterministic_output'],
        },
      ),
      sub(
        'slots',
        2,
        ['loading', 'stale'],
        '3.0.0',
        'Returns the mapping of cluster slots to nodes.',
        nodesComplexity,
        {
          tips: ['nondeterministic_output'],
          docFlags: ['deprecated'],
          deprecatedSince: '7.0.0',
          replacedBy: '`CLUSTER SHARDS`',
          history: [
            ['4.0.0', 'Added node IDs.'],
            ['7.0.0', 'Added additional networking metadata field.'],
          ],
        },
      ),
      // (declared for its flags: a script may not call it, whatever the mode)
      sub(
        'reset',
        -2,
        ['admin', 'stale', 'noscript'],
        '3.0.0',
        'Resets a cluster node.',
        'O(N) where N is the number of known nodes. The command may execute a FLUSHALL as a side effect.',
        {
          args: [
            {
              name: 'reset-type',
              type: 'oneof',
              flags: ['optional'],
              arguments: [
                { name: 'hard', type: 'pure-token', token: 'HARD' },
                { name: 'soft', type: 'pure-token', token: 'SOFT' },
              ],
            },
          ],
        },
      ),
      sub(
        'keyslot',
        3,
        ['stale'],
        '3.0.0',
        'Returns the hash slot of a key.',
        'O(N) where N is the number of bytes in the key',
        {
          args: [{ name: 'key', type: 'string' }],
        },
      ),
    ],
  }),
  command({
    name: 'readonly',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    acl: ['connection'],
    group: 'cluster',
    since: '3.0.0',
    summary: 'Lets a connection read from a cluster replica.',
    complexity: 'O(1)',
    handler: disabled,
  }),
  command({
    name: 'readwrite',
    arity: 1,
    flags: ['fast', 'loading', 'stale'],
    acl: ['connection'],
    group: 'cluster',
    since: '3.0.0',
    summary: "Ends a connection's reads from a cluster replica.",
    complexity: 'O(1)',
    handler: disabled,
  }),
  command({
    name: 'asking',
    arity: 1,
    flags: ['fast'],
    acl: ['connection'],
    group: 'cluster',
    since: '3.0.0',
    summary: 'Marks the next command as allowed on a slot being imported.',
    complexity: 'O(1)',
    handler: disabled,
  }),
];
