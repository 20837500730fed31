/**
 * config command group (to be filled in).
 */
import type { CommandSpec } from './spec.js';

export const commands: CommandSpec[] = [];
