/**
 * herd's entry point: runs one command and maps errors to exit codes. Only this module decides what the
 * process prints for an error and which code it exits with.
 *
 * Start-up is kept cheap: help rendered at build time is printed as it is, a well-formed command line is
 * parsed by the quick parser and runs its command's handler (loaded on use), and yargs itself is loaded
 * only for anything else (usage errors, help for an unusual terminal or locale).
 */
import { ExitCode, HerdError } from '../errors.js';
import { printCachedHelp } from './help-cache.js';

/** Runs herd with `argv` (without node and script) and returns the exit code. */
export async function run(argv: readonly string[]): Promise<number> {
  const debug = argv.includes('--debug') || argv.some((a) => /^-v{3,}$/.test(a));
  // Libraries' process warnings (the AWS SDK's Node version notice, google-auth-library's metadata server
  // probe) are not the user's business; herd says what matters itself. Shown with --debug.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (debug) process.stderr.write(`(debug) ${warning.name}: ${warning.message}\n`);
  });
  try {
    if (printCachedHelp(argv)) return ExitCode.Success;
    const { quickParse } = await import('./quick-parse.js');
    const quick = quickParse(argv);
    if (quick) await (await quick.command.load())(quick.args as never);
    else {
      const { buildParser } = await import('./yargs-cli.js');
      await buildParser(argv).parseAsync();
    }
    return typeof process.exitCode === 'number' ? process.exitCode : ExitCode.Success;
  } catch (error) {
    return report(error, { debug, json: wantsJson(argv) });
  }
}

/** Whether herd's own options (before a `--`) ask for JSON output. */
function wantsJson(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--json' || a === '--json=true');
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
