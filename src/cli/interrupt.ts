/**
 * Ctrl-C handling for commands that change a cluster: the first SIGINT aborts the operation's signal, so
 * no new node is created while in-flight calls finish and state is saved; the second exits at once (every
 * state write is atomic, so the file on disk is always consistent).
 */
import { ExitCode } from '../errors.js';

/**
 * Runs `fn` with an AbortSignal tied to SIGINT/SIGTERM; restores the default handlers afterwards.
 * `message` replaces what the first signal prints (the default speaks of creating nodes).
 */
export async function withInterrupts<T>(
  fn: (signal: AbortSignal) => Promise<T>,
  options: { message?: string } = {},
): Promise<T> {
  const controller = new AbortController();
  let count = 0;
  const onSignal = (name: NodeJS.Signals) => {
    count += 1;
    if (count === 1) {
      const what = options.message ?? 'no new nodes will be created; saving state...';
      process.stderr.write(
        `\n${name === 'SIGINT' ? 'Interrupted' : 'Terminated'}: ${what} (press Ctrl-C again to exit at once)\n`,
      );
      controller.abort();
      return;
    }
    process.stderr.write('Exiting now; the state file is consistent. Run "herd list" to see what is left.\n');
    process.exit(ExitCode.Interrupted);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  try {
    return await fn(controller.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
