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

export const ALL_COMMANDS: readonly CommandSpec[] = [
  ...connection,
  ...string,
  ...bitmap,
  ...keys,
  ...server,
  ...commandCmd,
  ...configCmd,
];
