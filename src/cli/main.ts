/**
 * herd's entry point: builds the yargs parser, runs one command and maps errors to exit codes.
 * Only this module decides what the process prints for an error and which code it exits with.
 */
import yargs from 'yargs';
import { ExitCode, HerdError, UsageError } from '../errors.js';
import { closest } from '../util/suggest.js';
import { commands } from './commands/index.js';
import { globalOptions } from './context.js';

const EPILOG = `Exit codes: 0 success, 1 failure, 2 usage or configuration error, 130 interrupted.
Docs: README.md in the herd package.`;

/** Runs herd with `argv` (without node and script) and returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug') || argv.some((a) => /^-v{3,}$/.test(a));
  // Libraries' process warnings (the AWS SDK's Node version notice, google-auth-library's metadata server
  // probe) are not the user's business; herd says what matters itself. Shown with --debug.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (debug) process.stderr.write(`(debug) ${warning.name}: ${warning.message}\n`);
  });
  const parser = yargs([...argv]);
  parser
    .scriptName('herd')
    .usage(
      '$0 <command> [options]\n\nTurn an INI cluster template into a running, configured compute cluster.',
    )
    .options(globalOptions)
    .command(commands)
    .demandCommand(1, 'Name a command: herd <command> (see herd --help).')
    .recommendCommands()
    .strict()
    // A repeated array option adds values (`-k a -k b`), one value per flag (`-n x FILE` leaves FILE a
    // positional), variadic positionals keep every word; any other repeated option keeps its last value.
    .parserConfiguration({ 'populate--': true, 'duplicate-arguments-array': true, 'greedy-arrays': false })
    .middleware((args) => lastValueWins(args, parser))
    .version()
    .alias('version', 'V')
    .help()
    .alias('help', 'h')
    .epilog(EPILOG)
    .wrap(Math.min(110, process.stdout.columns || 100))
    .exitProcess(false)
    .fail((message, error) => {
      // yargs' own validation failures (unknown command/flag, missing argument) are usage errors.
      if (error) throw error;
      throw new UsageError(withOptionSuggestion(message ?? 'Invalid usage.', argv), {
        hint: 'See herd --help, or herd <command> --help.',
      });
    });
  try {
    await parser.parseAsync();
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Success;
  } catch (error) {
    return report(error, { debug, json: wantsJson(argv) });
  }
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

/** Whether herd's own options (before a `--`) ask for JSON output. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--json' || a === '--json=true');
}

/** Long options per command (yargs does not expose the failing command's options to `fail`). */
export const COMMAND_OPTIONS: Readonly<Record<string, readonly string[]>> = {
  start: ['name', 'nodes', 'setup', 'no-setup', 'json', 'dry-run'],
  stop: ['yes', 'force', 'wait', 'json'],
  list: ['json'],
  'list-nodes': ['update', 'json'],
  'list-templates': ['json'],
  setup: ['json'],
  resize: ['add', 'remove', 'setup', 'no-setup', 'yes', 'json', 'dry-run'],
  'remove-node': ['yes', 'setup', 'no-setup', 'json'],
  ssh: ['node'],
  sftp: ['node'],
  exec: ['kind', 'nodes', 'all', 'fanout', 'json', 'group', 'timeout'],
  put: ['kind', 'nodes', 'all', 'fanout', 'json'],
  get: ['kind', 'nodes', 'all', 'fanout', 'json'],
  check: ['json'],
  completion: [],
};

/** Adds "did you mean --x?" to yargs' "Unknown argument(s): y", from the options of the command used. */
function withOptionSuggestion(message: string, argv: readonly string[]): string {
  const match = /^Unknown arguments?: (.+)$/.exec(message);
  if (!match) return message;
  const command = argv.find((a) => a in COMMAND_OPTIONS);
  const known = [
    ...Object.keys(globalOptions),
    'help',
    'version',
    ...(command ? COMMAND_OPTIONS[command]! : []),
  ];
  const hints = match[1]!
    .split(', ')
    .map((bad) => ({ bad, near: closest(bad, known) }))
    .filter((h) => h.near !== undefined)
    .map((h) => `--${h.bad}: did you mean --${h.near}?`);
  return hints.length > 0 ? `${message} (${hints.join(' ')})` : message;
}

/** The code scripts see for an error that is not a HerdError (a bug in herd). */
const INTERNAL_ERROR = 'InternalError';

/**
 * Prints an error the way users should see it (`herd: error [Code]: message` and a hint on stderr;
 * with `--json` also `{"error": {"code", "message", "hint"}}` on stdout) and returns its exit code.
 */
function report(error: unknown, options: { debug: boolean; json: boolean }): number {
  const known = error instanceof HerdError ? error : undefined;
  const message = error instanceof Error ? error.message : String(error);
  const code = known?.code ?? INTERNAL_ERROR;
  const hint = known
    ? known.hint
    : options.debug
      ? undefined
      : 'run again with --debug for a stack trace, and report it as a bug.';
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ error: { code, message, hint: hint ?? null } }, null, 2)}\n`);
  }
  process.stderr.write(known ? `herd: error [${code}]: ${message}\n` : `herd: internal error: ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  if (options.debug) {
    process.stderr.write(`${known ? describeCause(known) : error instanceof Error ? error.stack : ''}\n`);
  }
  return known?.exitCode ?? ExitCode.Failure;
}

function describeCause(error: Error): string {
  const lines = [error.stack ?? String(error)];
  let cause = error.cause;
  while (cause) {
    lines.push(`caused by: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}`);
    cause = cause instanceof Error ? cause.cause : undefined;
  }
  return lines.join('\n');
}
