/**
 * The quick path through the command line: a well-formed invocation of a declared command is parsed
 * with yargs-parser (the parser yargs itself uses, with the same configuration) into the arguments yargs
 * would hand the command's handler, without loading yargs (most of herd's start-up time). Anything this
 * parser is not sure of (help, version, an unknown option or command, a missing or extra argument) is
 * left to yargs, which reports it as it always has. A unit test compares both parsers' results.
 */
import parse from 'yargs-parser';
import { findCommand } from './commands/index.js';
import {
  BUILT_IN_OPTIONS,
  type CommandDecl,
  GLOBAL_OPTIONS,
  type OptionDecl,
  PARSER_CONFIGURATION,
} from './declare.js';

/** A command and its arguments, as yargs would pass them to the handler. */
export interface QuickParse {
  command: CommandDecl;
  args: Record<string, unknown>;
}

/** Parses `argv` when it is plainly valid; undefined leaves it to yargs. */
export function quickParse(argv: readonly string[]): QuickParse | undefined {
  // The command: the first word that no global option takes as its value.
  const command = findCommand(String(parseWith(argv, GLOBAL_OPTIONS)._[0]));
  if (!command) return undefined;
  const options = { ...GLOBAL_OPTIONS, ...command.options };
  const parsed = parseWith(argv, options);
  const [name, ...words] = parsed._.map(String);
  if (name !== command.name || !hasOnlyKnownKeys(parsed, options)) return undefined;
  const positionals = assignPositionals(command, words);
  if (!positionals) return undefined;
  const args: Record<string, unknown> = { ...parsed };
  for (const [key, value] of Object.entries(args)) {
    // A repeated single-value option keeps its last value (as the yargs middleware does).
    if (key !== '_' && key !== '--' && Array.isArray(value) && !isArrayOption(key, options)) {
      args[key] = value.at(-1);
    }
  }
  return { command, args: { ...args, ...positionals, _: [name], $0: 'herd' } };
}

function parseWith(argv: readonly string[], options: Readonly<Record<string, OptionDecl>>) {
  const entries = Object.entries(options);
  const named = (test: (o: OptionDecl) => boolean) => entries.filter(([, o]) => test(o)).map(([n]) => n);
  return parse([...argv], {
    alias: Object.fromEntries(entries.flatMap(([n, o]) => (o.alias ? [[n, o.alias]] : []))),
    array: named((o) => o.array === true),
    boolean: named((o) => o.type === 'boolean'),
    count: named((o) => o.type === 'count'),
    number: named((o) => o.type === 'number'),
    string: named((o) => o.type === 'string'),
    default: Object.fromEntries(
      entries.flatMap(([n, o]) => (o.default === undefined ? [] : [[n, o.default]])),
    ),
    configuration: { ...PARSER_CONFIGURATION, 'parse-positional-numbers': false },
  });
}

/**
 * yargs' strict mode: no option outside the declared ones (help and version go to yargs). A camelCase
 * spelling typed by the user (`--dryRun`) is left to yargs too, which also sets the declared `dry-run`.
 */
function hasOnlyKnownKeys(parsed: object, options: Readonly<Record<string, OptionDecl>>): boolean {
  const known = new Map<string, string>([
    ['_', '_'],
    ['--', '--'],
  ]);
  for (const [name, option] of Object.entries(options)) {
    for (const key of [name, option.alias]) {
      if (key) known.set(key, key).set(camelCase(key), key);
    }
  }
  return Object.keys(parsed).every((key) => {
    const declared = known.get(key);
    return declared !== undefined && declared in parsed && !(declared in BUILT_IN_OPTIONS);
  });
}

/** The positionals by name, or undefined when there are too few or too many words. */
function assignPositionals(command: CommandDecl, words: string[]): Record<string, unknown> | undefined {
  const declared = command.positionals;
  const variadic = declared.at(-1)?.variadic === true;
  const required = declared.filter((p) => p.required).length;
  if (words.length < required) return undefined;
  if (!variadic && words.length > declared.length) return undefined;
  const values: Record<string, unknown> = {};
  declared.forEach((p, i) => {
    // An absent variadic positional is an empty list, as in yargs.
    const value = p.variadic ? words.slice(i) : words[i];
    if (value === undefined) return;
    values[p.name] = value;
    if (camelCase(p.name) !== p.name) values[camelCase(p.name)] = value;
  });
  return values;
}

function isArrayOption(key: string, options: Readonly<Record<string, OptionDecl>>): boolean {
  return Object.entries(options).some(
    ([name, o]) => o.array === true && (key === name || key === o.alias || key === camelCase(name)),
  );
}

function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}
