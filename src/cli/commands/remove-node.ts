import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveSettings, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  node: string;
  yes?: boolean;
  setup?: boolean;
}

/** `herd remove-node NAME NODE`. */
export const removeNodeCommand: CommandModule<GlobalArgs, Args> = {
  command: 'remove-node <cluster> <node>',
  describe: 'Remove one node from a cluster (drained in Slurm first)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .positional('node', { type: 'string', demandOption: true, describe: 'Node name, e.g. compute002' })
      .option('yes', { type: 'boolean', describe: 'Do not ask for confirmation' })
      .option('setup', {
        type: 'boolean',
        default: true,
        describe: 'Re-run Ansible afterwards (--no-setup skips)',
      }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { resizeCluster } = await import('../../cluster/resize.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const state = await repo.load(args.cluster);
    if (!(await confirm(`Remove node ${args.node} from "${state.name}"?`, args.yes === true))) {
      printLines(['Nothing done.']);
      return;
    }
    const deps = await buildDeps(ctx, { json: false });
    const { cloud, secrets } = await liveSettings(ctx, state, { forSetup: args.setup !== false });
    await withInterrupts((signal) =>
      resizeCluster({
        deps,
        name: args.cluster,
        cloud,
        secrets,
        add: [],
        remove: [],
        removeNames: [args.node],
        setup: args.setup !== false,
        signal,
      }),
    );
    printLines([`Removed ${args.node} from "${args.cluster}".`]);
  },
};
