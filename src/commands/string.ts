/**
 * String commands. (Skeleton: GET and SET; the rest of the group follows.)
 */
import { command, type CommandSpec, type Ctx } from './spec.js';
import { lookupString } from './args.js';
import { strValue } from '../keyspace/value.js';

/** GET key */
function get(ctx: Ctx): void {
  ctx.reply.bulkOrNull(lookupString(ctx.db, ctx.argv[1]!));
}

/** SET key value (options to come) */
function set(ctx: Ctx): void {
  const key = ctx.argv[1]!;
  ctx.db.set(key, strValue(ctx.argv[2]!));
  ctx.db.notify('$', 'set', key);
  ctx.reply.ok();
}

export const commands: CommandSpec[] = [
  command({ name: 'get', arity: 2, flags: ['readonly', 'fast'], acl: ['string'], keys: [1, 1, 1], keySpecs: [{ flags: ['RO', 'access'], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } }], group: 'string', since: '1.0.0', summary: 'Returns the value of a key.', complexity: 'O(1)', args: [{ name: 'key', type: 'key', key_spec_index: 0 }], handler: get }),
  command({ name: 'set', arity: -3, flags: ['write', 'denyoom'], acl: ['string'], keys: [1, 1, 1], keySpecs: [{ notes: 'RW and ACCESS due to the optional `GET` argument', flags: ['RW', 'access', 'update', 'variable_flags'], begin: { index: 1 }, find: { lastkey: 0, keystep: 1, limit: 0 } }], group: 'string', since: '1.0.0', summary: 'Sets the value of a key.', complexity: 'O(1)', handler: set }),
];
