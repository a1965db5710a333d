/**
 * What shell completion knows about herd's command line: commands, their options and what each
 * positional or option value names, derived from the command declarations (data only, so that
 * completing loads neither yargs nor the commands' handlers).
 */
import { COMMANDS } from '../commands/index.js';
import {
  BUILT_IN_OPTIONS,
  type CommandDecl,
  GLOBAL_OPTIONS,
  longOptionsOf,
  type OptionDecl,
  type ValueKind,
} from '../declare.js';

export type { ValueKind } from '../declare.js';

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

function optionSpecs(options: Readonly<Record<string, OptionDecl>>): OptionSpec[] {
  return longOptionsOf(options).map((long) => {
    const o = options[long];
    // `--no-X` takes no value and has no short form.
    if (!o) return { long };
    return { long, ...(o.alias ? { short: o.alias } : {}), ...(o.value ? { value: o.value } : {}) };
  });
}

function commandSpec(command: CommandDecl): CommandSpec {
  return {
    name: command.name,
    options: optionSpecs(command.options),
    positionals: command.positionals.map((p) => p.value),
    ...(command.positionals.at(-1)?.variadic ? { variadic: true } : {}),
  };
}

/** Options of every command. */
export const GLOBAL_OPTION_SPECS: readonly OptionSpec[] = optionSpecs({
  ...GLOBAL_OPTIONS,
  ...BUILT_IN_OPTIONS,
});

/** Every command herd has. */
export const COMMAND_SPECS: readonly CommandSpec[] = COMMANDS.map(commandSpec);
