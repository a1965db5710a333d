import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveCloud, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  terminateUnstoppable?: boolean;
  json?: boolean;
}

/** `herd pause NAME`. */
export const pauseCommand: CommandModule<GlobalArgs, Args> = {
  command: 'pause <cluster>',
  describe: 'Stop every node of a cluster and keep its disks (herd resume starts them again)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .option('terminate-unstoppable', {
        type: 'boolean',
        describe: 'Terminate the nodes the cloud cannot stop (e.g. EC2 spot) instead of refusing to pause',
      })
      .option('json', { type: 'boolean', describe: 'Print what was stopped as JSON' })
      .example('$0 pause slurm', 'stop the nodes; nothing runs (or is billed for compute) until resume')
      .epilog(
        'Run it again to finish a pause that was cut short. While paused, ssh, exec, put, get, setup and resize exit with code 3; stop still works.',
      ) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { pauseCluster } = await import('../../cluster/pause.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const state = await repo.load(args.cluster);
    const deps = await buildDeps(ctx, { json: args.json === true });
    const cloud = await liveCloud(ctx, state);
    const result = await withInterrupts((signal) =>
      pauseCluster({
        deps,
        name: args.cluster,
        cloud,
        terminateUnstoppable: args.terminateUnstoppable === true,
        signal,
      }),
    );
    if (args.json) {
      printJson({
        name: args.cluster,
        paused: result.state.pause ?? null,
        stopped: result.stopped,
        terminated: result.terminated,
        alreadyPaused: result.alreadyPaused,
      });
    } else if (result.alreadyPaused) {
      printLines([
        `Cluster "${args.cluster}" is paused already. Resume it with: herd resume ${args.cluster}`,
      ]);
    } else {
      printLines([
        `Cluster "${args.cluster}" paused: ${result.stopped.length} node(s) stopped, disks kept.`,
        ...(result.terminated.length > 0
          ? [`Terminated (could not be stopped): ${result.terminated.join(', ')}.`]
          : []),
        `Resume it with: herd resume ${args.cluster}`,
      ]);
    }
  },
};
