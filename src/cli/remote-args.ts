/**
 * Flags shared by `exec`, `put` and `get` (declared in commands/index.ts): which nodes (`-k`, `-n`,
 * `--all`, SELECTOR words), how many at once (`-f/--fanout`), and `--json`.
 */
import type { NodeSelector } from '../cluster/select.js';
import { UsageError } from '../errors.js';
import { DEFAULT_FANOUT } from './commands/index.js';

/** Parsed selection flags. */
export interface SelectionArgs {
  kind?: string[];
  nodes?: string[];
  all?: boolean;
  fanout?: number;
  json?: boolean;
}

/** The selector from flags plus SELECTOR words. */
export function selectorFrom(args: SelectionArgs, words: readonly string[]): NodeSelector {
  return { words: [...(args.nodes ?? []), ...words], kinds: args.kind ?? [], all: args.all === true };
}

/** Checks `-f/--fanout`. */
export function fanoutFrom(args: SelectionArgs): number {
  const fanout = args.fanout ?? DEFAULT_FANOUT;
  if (!Number.isInteger(fanout) || fanout < 1 || fanout > 1024) {
    throw new UsageError(`-f/--fanout ${args.fanout}: give a whole number of nodes from 1 to 1024.`);
  }
  return fanout;
}
