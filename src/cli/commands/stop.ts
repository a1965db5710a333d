import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { sharedClusterWarning, stopQuestion } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { buildDeps, liveCloud, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  yes?: boolean;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** `herd stop NAME`. */
export const stopCommand: CommandModule<GlobalArgs, Args> = {
  command: 'stop <cluster>',
  describe: 'Terminate every node of a cluster and forget it',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .option('yes', {
        type: 'boolean',
        describe: 'Do not ask for confirmation (needed when not on a terminal)',
      })
      .option('force', { type: 'boolean', describe: 'Go on past errors terminating some nodes' })
      .option('wait', { type: 'boolean', describe: 'Wait until the cloud reports every node terminated' })
      .option('json', { type: 'boolean', describe: 'Print what was terminated as JSON' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { stopCluster } = await import('../../cluster/stop.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const state = await repo.load(args.cluster);
    const shared = sharedClusterWarning(state);
    if (shared) ctx.log.warn(shared);
    const deps = await buildDeps(ctx, { json: args.json === true });
    const result = await stopCluster({
      deps,
      name: args.cluster,
      cloud: await liveCloud(ctx, state),
      force: args.force === true,
      wait: args.wait === true,
      // Asked once the cloud has said what is there: the question lists exactly what goes.
      confirm: (plan) => confirm(stopQuestion(plan), args.yes === true),
    });
    if (result.cancelled) {
      printLines(['Nothing done.']);
      return;
    }
    if (args.json) {
      const { cancelled: _, ...done } = result;
      printJson({ name: args.cluster, ...done });
    } else {
      printLines([
        `Cluster "${args.cluster}" stopped: ${result.terminated.length} node(s) terminated.`,
        ...(result.strays.length
          ? [`(${result.strays.length} of them were found by tag, not in state.)`]
          : []),
      ]);
    }
  },
};
