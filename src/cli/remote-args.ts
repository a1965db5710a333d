/**
 * Flags shared by `exec`, `put` and `get`: which nodes (`-k`, `-n`, `--all`, SELECTOR words), how many
 * at once (`-f/--fanout`), and `--json`.
 */
import type { Argv } from 'yargs';
import type { NodeSelector } from '../cluster/select.js';
import { UsageError } from '../errors.js';

/** Parsed selection flags. */
export interface SelectionArgs {
  kind?: string[];
  nodes?: string[];
  all?: boolean;
  fanout?: number;
  json?: boolean;
}

/** Default number of nodes worked on at once (pdsh's default fanout). */
export const DEFAULT_FANOUT = 32;

/** Adds the selection flags to a command. */
export function withSelectionOptions<T>(y: Argv<T>): Argv<T & SelectionArgs> {
  return y
    .option('kind', {
      alias: 'k',
      type: 'string',
      array: true,
      describe: 'Only nodes of this kind (repeat or comma-separate for several)',
    })
    .option('nodes', {
      alias: 'n',
      type: 'string',
      array: true,
      describe: 'Node names (globs, ranges: compute[001-010]) or filters (state=ready, ip=10.77.0.*)',
    })
    .option('all', { type: 'boolean', describe: 'Every node of the cluster (the default)' })
    .option('fanout', {
      alias: 'f',
      type: 'number',
      default: DEFAULT_FANOUT,
      describe: 'Nodes worked on at once',
    })
    .option('json', { type: 'boolean', describe: 'One JSON object per node (NDJSON) on stdout' }) as Argv<
    T & SelectionArgs
  >;
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

/** Help text on selectors, shared by the three commands' epilogues. */
export const SELECTOR_HELP = `Selectors (SELECTOR words and -n values; commas separate several):
  compute001, compute[001-010,015], compute0*   node names, with ranges and globs
  compute                                       a kind (also -k compute)
  state=ready, ip=10.77.0.*, flavor!=t3.*       filters on name, kind, state, ip, private_ip,
                                                public_ip, flavor, instance
Names and kinds add nodes; -k and filters narrow them. Default: every node.`;
