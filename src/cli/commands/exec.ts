import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ExitCode, UsageError } from '../../errors.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import {
  fanoutFrom,
  SELECTOR_HELP,
  type SelectionArgs,
  selectorFrom,
  withSelectionOptions,
} from '../remote-args.js';
import { openRepo, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs, SelectionArgs {
  cluster: string;
  selectors?: string[];
  group?: boolean;
  timeout?: number;
}

/** `herd exec NAME [SELECTOR...] -- COMMAND`. */
export const execCommand: CommandModule<GlobalArgs, Args> = {
  command: 'exec <cluster> [selectors..]',
  describe: 'Run a command on many nodes in parallel (command after --)',
  builder: (y: Argv<GlobalArgs>) =>
    withSelectionOptions(
      y
        .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
        .positional('selectors', { type: 'string', array: true, describe: 'Which nodes (see below)' }),
    )
      .option('group', {
        alias: 'g',
        type: 'boolean',
        describe: 'Print each output once, under the nodes that printed it (like dshbak -c)',
      })
      .option('timeout', {
        alias: 't',
        type: 'number',
        describe: 'Seconds one node may take; then its command is ended',
      })
      .example('$0 exec mycluster -- uptime', 'on every node')
      .example("$0 exec mycluster 'compute[001-004]' -- df -h /", 'on four compute nodes')
      .example('$0 exec mycluster -k compute --group -- systemctl is-active slurmd', 'grouped output')
      .epilog(
        `${SELECTOR_HELP}\nExit status: 0 when the command exited 0 on every node, else 1 (130 on Ctrl-C).`,
      ) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
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
  },
};
