/**
 * Every command group's declarations. Adding a command touches its group
 * file (and its test); adding a group adds one line here.
 */
import type { CommandSpec } from './spec.js';
import { commands as connection } from './connection.js';
import { commands as string } from './string.js';
import { commands as bitmap } from './bitmap.js';
import { commands as keys } from './keys.js';
import { commands as server } from './server.js';
import { commands as commandCmd } from './command.js';
import { commands as configCmd } from './config.js';
import { commands as hash } from './hash.js';
import { commands as set } from './set.js';
import { commands as list } from './list.js';
import { commands as blocking } from './blocking.js';
import { commands as zset } from './zset.js';
import { commands as sort } from './sort.js';
import { commands as introspection } from './introspection.js';
import { commands as pubsub } from './pubsub.js';
import { commands as multi } from './multi.js';
import { commands as persistence } from './persistence.js';
import { commands as aof } from './aof.js';
import { commands as scripting } from './scripting.js';
import { commands as stream } from './stream.js';
import { commands as geo } from './geo.js';
import { commands as hll } from './hll.js';
import { commands as lolwut } from './lolwut.js';
import { commands as debugCmd } from './debug.js';
import { commands as cluster } from './cluster.js';
import { commands as moduleCmd } from './module.js';
import { commands as migrate } from './migrate.js';
import { commands as replication } from './replication.js';
import { commands as aclCmd } from './acl.js';

export const ALL_COMMANDS: readonly CommandSpec[] = [
  ...connection,
  ...string,
  ...bitmap,
  ...keys,
  ...server,
  ...commandCmd,
  ...configCmd,
  ...hash,
  ...set,
  ...list,
  ...blocking,
  ...zset,
  ...sort,
  ...introspection,
  ...pubsub,
  ...multi,
  ...persistence,
  ...aof,
  ...scripting,
  ...stream,
  ...geo,
  ...hll,
  ...lolwut,
  ...debugCmd,
  ...cluster,
  ...moduleCmd,
  ...migrate,
  ...replication,
  ...aclCmd,
];
