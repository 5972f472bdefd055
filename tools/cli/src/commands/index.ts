import type { CommandArea } from '../command.js';

/** Every area of the caruso command, in the order `--help` lists them. */
export const areas: readonly CommandArea[] = [];
