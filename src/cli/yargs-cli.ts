/**
 * herd's command line as yargs sees it, registered from the declarations in commands/index.ts. Loaded
 * only for what the quick paths leave to it: help that was not rendered at build time, usage errors
 * (with "did you mean"), and any command line the quick parser does not take on.
 */
import yargs, { type Argv, type CommandModule, type Options } from 'yargs';
import { UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { COMMANDS, findCommand } from './commands/index.js';
import {
  BUILT_IN_OPTIONS,
  type CommandDecl,
  GLOBAL_OPTIONS,
  HERD_EPILOG,
  HERD_USAGE,
  longOptionsOf,
  type OptionDecl,
  PARSER_CONFIGURATION,
  usageOf,
} from './declare.js';
import { helpWidth } from './help-cache.js';

/** Runs a command's handler (a test may capture the arguments instead). */
export type RunCommand = (command: CommandDecl, args: Record<string, unknown>) => Promise<void>;

const runHandler: RunCommand = async (command, args) => (await command.load())(args as never);

/** The yargs parser for `argv`, every command registered; help wrapped at `width` columns. */
export function buildParser(argv: readonly string[], width = helpWidth(), run = runHandler): Argv {
  const parser = yargs([...argv]);
  return parser
    .scriptName('herd')
    .usage(HERD_USAGE)
    .options(
      Object.fromEntries(
        Object.entries(GLOBAL_OPTIONS).map(([name, o]) => [name, { ...toYargsOption(o), global: true }]),
      ),
    )
    .command(COMMANDS.map((c) => toCommandModule(c, run)))
    .demandCommand(1, 'Name a command: herd <command> (see herd --help).')
    .recommendCommands()
    .strict()
    .parserConfiguration(PARSER_CONFIGURATION)
    .middleware((args) => lastValueWins(args, parser))
    .version()
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .epilog(HERD_EPILOG)
    .wrap(width)
    .exitProcess(false)
    .fail((message, error) => {
      // yargs' own validation failures (unknown command/flag, missing argument) are usage errors.
      if (error) throw error;
      throw new UsageError(withOptionSuggestion(message ?? 'Invalid usage.', argv), {
        hint: 'See herd --help, or herd <command> --help.',
      });
    });
}

/** An option declaration as yargs takes it. */
export function toYargsOption(option: OptionDecl): Options {
  const { value: _completion, ...yargsOption } = option;
  return yargsOption;
}

/** A command declaration as a yargs command module; its handler is loaded when the command runs. */
// biome-ignore lint/suspicious/noExplicitAny: yargs' CommandModule generics differ per command.
export function toCommandModule(command: CommandDecl, run = runHandler): CommandModule<any, any> {
  return {
    command: usageOf(command),
    describe: command.describe,
    builder: (y: Argv) => {
      for (const p of command.positionals) {
        y.positional(p.name, {
          type: 'string',
          describe: p.describe,
          ...(p.variadic ? { array: true } : {}),
          // A variadic `<paths..>` is checked by yargs' argument count, not as a required option.
          ...(p.required && !p.variadic ? { demandOption: true } : {}),
        });
      }
      for (const [name, option] of Object.entries(command.options)) y.option(name, toYargsOption(option));
      for (const [example, meaning] of command.examples ?? []) y.example(example, meaning);
      if (command.epilog) y.epilog(command.epilog);
      return y;
    },
    handler: (args) => run(command, args),
  };
}

/** Collapses a repeated single-value option (`--name a --name b`) to its last value. */
function lastValueWins(argv: Record<string, unknown>, instance: object): void {
  // getOptions() is how yargs' own command and usage code read the declared options (not in its typings).
  const declared = (instance as { getOptions(): { array: string[] } }).getOptions();
  const arrays = new Set(declared.array);
  for (const [key, value] of Object.entries(argv)) {
    if (key !== '_' && key !== '--' && Array.isArray(value) && !arrays.has(key)) argv[key] = value.at(-1);
  }
}

/** Adds "did you mean --x?" to yargs' "Unknown argument(s): y", from the options of the command used. */
function withOptionSuggestion(message: string, argv: readonly string[]): string {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match) return message;
  const command = argv.map(findCommand).find((c) => c !== undefined);
  const known = [
    ...Object.keys(GLOBAL_OPTIONS),
    ...Object.keys(BUILT_IN_OPTIONS),
    ...(command ? longOptionsOf(command.options) : []),
  ];
  const hints = match[1]!
    .split(', ')
    .map((bad) => ({ bad, near: closest(bad, known) }))
    .filter((h) => h.near !== undefined)
    .map((h) => `--${h.bad}: did you mean --${h.near}?`);
  return hints.length > 0 ? `${message} (${hints.join(' ')})` : message;
}
