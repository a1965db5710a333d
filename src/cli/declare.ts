/**
 * The shape of a command declaration, and what is derived from one: the yargs usage string, the long
 * options "did you mean" and shell completion offer. Data only (no yargs, no handlers), so that the quick
 * paths (`herd __complete`, a command that needs no help) load it for almost nothing.
 */

/** What a word names, i.e. where shell completion finds its candidates. */
export type ValueKind =
  | 'template'
  | 'cluster'
  | 'cloud'
  /** A node name or a kind. */
  | 'node'
  /** A node name only. */
  | 'node-name'
  | 'kind'
  | 'file'
  | 'dir'
  | 'shell'
  /** Free text: nothing to offer. */
  | 'text';

/** An option as yargs declares it, plus what its value names for completion. */
export interface OptionDecl {
  alias?: string;
  type: 'string' | 'boolean' | 'number' | 'count';
  /** Repeatable (`-k a -k b`): the value is a list. */
  array?: boolean;
  default?: string | number | boolean;
  describe: string;
  /** What the value names (options that take a value). */
  value?: ValueKind;
}

/** A positional argument (all are strings). */
export interface PositionalDecl {
  name: string;
  /** `<name>` rather than `[name]`. */
  required: boolean;
  /** Takes every remaining word (`name..`); only the last positional may. */
  variadic?: boolean;
  describe: string;
  value: ValueKind;
}

/** A command's handler: receives the parsed arguments as yargs hands them over. */
export type Handler = (args: never) => Promise<void>;

/** One command, declared once. */
export interface CommandDecl {
  name: string;
  describe: string;
  positionals: readonly PositionalDecl[];
  /** In the order help lists them. */
  options: Readonly<Record<string, OptionDecl>>;
  examples?: readonly (readonly [command: string, meaning: string])[];
  epilog?: string;
  /** Loads the handler on use, so that a command pays only for what it runs. */
  load: () => Promise<Handler>;
}

/** The first lines of `herd --help`. */
export const HERD_USAGE =
  '$0 <command> [options]\n\nTurn an INI cluster template into a running, configured compute cluster.';

/** The last lines of every help text. */
export const HERD_EPILOG = `Exit codes: 0 success, 1 failure, 2 usage or configuration error, 130 interrupted.
Docs: README.md in the herd package.`;

/** Options accepted before or after any command. */
export const GLOBAL_OPTIONS = {
  config: {
    alias: 'c',
    type: 'string',
    describe: 'Configuration file (also reads <file>.d/*.conf) [env HERD_CONFIG, default ~/.herd/config]',
    value: 'file',
  },
  storage: {
    alias: 's',
    type: 'string',
    describe: 'Directory for cluster state [env HERD_STORAGE, default ~/.herd/storage]',
    value: 'dir',
  },
  verbose: { alias: 'v', type: 'count', describe: 'More output; repeat for more (-vvv adds stack traces)' },
  debug: { type: 'boolean', describe: 'Show stack traces and causes of errors' },
} as const satisfies Record<string, OptionDecl>;

/** The options yargs adds itself (`-h/--help`, `-V/--version`). */
export const BUILT_IN_OPTIONS: Readonly<Record<string, OptionDecl>> = {
  help: { alias: 'h', type: 'boolean', describe: 'Show help' },
  version: { alias: 'V', type: 'boolean', describe: 'Show version number' },
};

/** How yargs (and the quick parser, the same way) reads repeated options and `--`. */
export const PARSER_CONFIGURATION = {
  // A repeated array option adds values (`-k a -k b`), one value per flag (`-n x FILE` leaves FILE a
  // positional), variadic positionals keep every word; any other repeated option keeps its last value.
  'populate--': true,
  'duplicate-arguments-array': true,
  'greedy-arrays': false,
} as const;

/** The yargs command string: `start <template>`, `list-templates [globs..]`. */
export function usageOf(command: CommandDecl): string {
  const words = command.positionals.map((p) => {
    const name = `${p.name}${p.variadic ? '..' : ''}`;
    return p.required ? `<${name}>` : `[${name}]`;
  });
  return [command.name, ...words].join(' ');
}

/** Every long option a command takes, `--no-X` included for a flag that defaults to true. */
export function longOptionsOf(options: Readonly<Record<string, OptionDecl>>): string[] {
  return Object.entries(options).flatMap(([name, o]) =>
    o.type === 'boolean' && o.default === true ? [name, `no-${name}`] : [name],
  );
}
