/**
 * What shell completion knows about herd's command line: commands, their options and what each
 * positional or option value names. Kept apart from the yargs definitions so that completing does not
 * load them; a unit test checks the two agree.
 */

/** What a word names, i.e. where its candidates come from. */
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

/** An option: its long name, short alias, and the kind of value it takes (none for a flag). */
export interface OptionSpec {
  long: string;
  short?: string;
  value?: ValueKind;
}

/** A command: options, and positionals in order (the last repeats when `variadic`). */
export interface CommandSpec {
  name: string;
  options: readonly OptionSpec[];
  positionals: readonly ValueKind[];
  variadic?: boolean;
}

/** Options of every command. */
export const GLOBAL_OPTIONS: readonly OptionSpec[] = [
  { long: 'config', short: 'c', value: 'file' },
  { long: 'storage', short: 's', value: 'dir' },
  { long: 'verbose', short: 'v' },
  { long: 'debug' },
  { long: 'help', short: 'h' },
  { long: 'version', short: 'V' },
];

const json: OptionSpec = { long: 'json' };
const setup: OptionSpec[] = [{ long: 'setup' }, { long: 'no-setup' }];
const selection: OptionSpec[] = [
  { long: 'kind', short: 'k', value: 'kind' },
  { long: 'nodes', short: 'n', value: 'node' },
  { long: 'all' },
  { long: 'fanout', short: 'f', value: 'text' },
  json,
];

/** Every command herd has. */
export const COMMAND_SPECS: readonly CommandSpec[] = [
  {
    name: 'start',
    options: [
      { long: 'name', short: 'n', value: 'text' },
      { long: 'nodes', value: 'text' },
      ...setup,
      json,
      { long: 'dry-run' },
      { long: 'idle-stop', value: 'text' },
    ],
    positionals: ['template'],
  },
  {
    name: 'stop',
    options: [{ long: 'yes' }, { long: 'force' }, { long: 'wait' }, json],
    positionals: ['cluster'],
  },
  { name: 'list', options: [json], positionals: [] },
  { name: 'list-nodes', options: [{ long: 'update', short: 'u' }, json], positionals: ['cluster'] },
  { name: 'list-templates', options: [json], positionals: ['template'], variadic: true },
  { name: 'setup', options: [json], positionals: ['cluster'] },
  {
    name: 'resize',
    options: [
      { long: 'add', short: 'a', value: 'text' },
      { long: 'remove', short: 'r', value: 'text' },
      ...setup,
      { long: 'yes' },
      json,
      { long: 'dry-run' },
    ],
    positionals: ['cluster'],
  },
  { name: 'pause', options: [{ long: 'terminate-unstoppable' }, json], positionals: ['cluster'] },
  { name: 'resume', options: [...setup, json], positionals: ['cluster'] },
  { name: 'remove-node', options: [{ long: 'yes' }, ...setup, json], positionals: ['cluster', 'node-name'] },
  { name: 'ssh', options: [{ long: 'node', short: 'n', value: 'node' }], positionals: ['cluster'] },
  { name: 'sftp', options: [{ long: 'node', short: 'n', value: 'node' }], positionals: ['cluster'] },
  {
    name: 'exec',
    options: [...selection, { long: 'group', short: 'g' }, { long: 'timeout', short: 't', value: 'text' }],
    positionals: ['cluster', 'node'],
    variadic: true,
  },
  { name: 'put', options: selection, positionals: ['cluster', 'file'], variadic: true },
  { name: 'get', options: selection, positionals: ['cluster', 'file'], variadic: true },
  { name: 'check', options: [json], positionals: ['cloud'], variadic: true },
  { name: 'completion', options: [], positionals: ['shell'] },
];
