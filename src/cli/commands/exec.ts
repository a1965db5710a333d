import type { ArgumentsCamelCase } from 'yargs';
import { ExitCode, UsageError } from '../../errors.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { fanoutFrom, type SelectionArgs, selectorFrom } from '../remote-args.js';
import { openRepo, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs, SelectionArgs {
  cluster: string;
  selectors?: string[];
  group?: boolean;
  timeout?: number;
}

/** `herd exec NAME [SELECTOR...] -- COMMAND`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  const { execOnCluster } = await import('../../cluster/remote.js');
  const { createExecPrinter, succeeded } = await import('../../ui/exec-output.js');
  const command = passthroughArgs(args).join(' ');
  if (command.trim() === '') {
    throw new UsageError('exec needs a command after --.', {
      hint: `Example: herd exec ${args.cluster} -- hostname`,
    });
  }
  if (args.timeout !== undefined && !(args.timeout > 0)) {
    throw new UsageError(`-t/--timeout ${args.timeout}: give a number of seconds greater than 0.`);
  }
  if (args.json && args.group) throw new UsageError('Use either --json or --group, not both.');
  const fanout = fanoutFrom(args);
  const ctx = contextFrom(args);
  const state = await (await openRepo(ctx)).load(args.cluster);
  const printer = createExecPrinter(args.json ? 'json' : args.group ? 'group' : 'lines');
  const results = await withInterrupts(
    (signal) =>
      execOnCluster({
        state,
        selector: selectorFrom(args, args.selectors ?? []),
        fanout,
        command,
        timeoutMs: args.timeout === undefined ? undefined : args.timeout * 1000,
        signal,
        onOutput: printer.onOutput,
        onResult: printer.onResult,
      }),
    { message: 'ending the remote commands...' },
  );
  printer.finish(results);
  if (results.some((r) => r.status === 'cancelled')) process.exitCode = ExitCode.Interrupted;
  else if (!results.every(succeeded)) process.exitCode = ExitCode.Failure;
}
