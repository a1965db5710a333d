import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { UsageError } from '../../errors.js';
import { renderClusterSummary } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { parseNodeCounts } from '../node-counts.js';
import { buildDeps, liveSettings, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  add?: string;
  remove?: string;
  setup?: boolean;
  yes?: boolean;
  json?: boolean;
}

/** `herd resize NAME -a N:KIND -r N:KIND`. */
export const resizeCommand: CommandModule<GlobalArgs, Args> = {
  command: 'resize <cluster>',
  describe: 'Add or remove nodes (removed nodes are drained in Slurm first)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .option('add', { alias: 'a', type: 'string', describe: 'Nodes to add, N:KIND[,N:KIND...]' })
      .option('remove', {
        alias: 'r',
        type: 'string',
        describe: 'Nodes to remove (highest-numbered first), N:KIND[,...]',
      })
      .option('setup', {
        type: 'boolean',
        default: true,
        describe: 'Re-run Ansible on all nodes afterwards (--no-setup skips)',
      })
      .option('yes', { type: 'boolean', describe: 'Do not ask before removing nodes' })
      .option('json', { type: 'boolean', describe: 'Print the resulting cluster as JSON' })
      .example('$0 resize mycluster -a 2:compute', 'add two compute nodes')
      .example(
        '$0 resize mycluster -r 1:compute --yes',
        'remove compute node with the highest number',
      ) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { resizeCluster } = await import('../../cluster/resize.js');
    const { chooseSshTarget } = await import('../../ssh/openssh.js');
    const add = args.add === undefined ? [] : parseNodeCounts(args.add, '-a/--add');
    const remove = args.remove === undefined ? [] : parseNodeCounts(args.remove, '-r/--remove');
    if (add.length === 0 && remove.length === 0) {
      throw new UsageError('resize needs -a/--add or -r/--remove.', {
        hint: 'Example: herd resize mycluster -a 2:compute',
      });
    }
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const state = await repo.load(args.cluster);
    if (remove.some((r) => r.count > 0)) {
      const what = remove
        .filter((r) => r.count > 0)
        .map((r) => `${r.count} ${r.kind}`)
        .join(', ');
      if (!(await confirm(`Remove ${what} node(s) from "${state.name}"?`, args.yes === true))) {
        printLines(['Nothing done.']);
        return;
      }
    }
    const deps = await buildDeps(ctx, { json: args.json === true });
    const { cloud, secrets } = await liveSettings(ctx, state, { forSetup: args.setup !== false });
    const result = await withInterrupts((signal) =>
      resizeCluster({
        deps,
        name: args.cluster,
        cloud,
        secrets,
        add,
        remove,
        setup: args.setup !== false,
        signal,
      }),
    );
    if (args.json) {
      printJson({
        ...result.state,
        changed: result.changed,
        removed: result.removed,
        setupRan: result.setupRan,
      });
    } else if (!result.changed) {
      printLines([
        `Nothing to do: every count is 0; cluster "${result.state.name}" is unchanged (no setup run).`,
      ]);
    } else {
      const lines = result.removed.length ? [`Removed: ${result.removed.join(', ')}`] : [];
      printLines([...lines, '', ...renderClusterSummary(result.state, chooseSshTarget(result.state))]);
    }
  },
};
