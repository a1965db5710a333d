import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  setup?: boolean;
  json?: boolean;
}

/** `herd resume NAME`. */
export const resumeCommand: CommandModule<GlobalArgs, Args> = {
  command: 'resume <cluster>',
  describe: 'Start the nodes of a paused cluster (or one that stopped itself when idle) again',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .option('setup', {
        type: 'boolean',
        default: true,
        describe: 'Run Ansible again when a node came back with another address (--no-setup skips it)',
      })
      .option('json', { type: 'boolean', describe: 'Print the resumed cluster as JSON' })
      .example('$0 resume slurm', 'start the nodes, wait for SSH, fix addresses that changed')
      .epilog(
        'Nodes keep their disks and host keys; a node that answers with another host key is refused. Run it again to finish a resume that was cut short.',
      ) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { resumeCluster } = await import('../../cluster/resume.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const state = await repo.load(args.cluster);
    const deps = await buildDeps(ctx, { json: args.json === true });
    const template = await liveTemplate(ctx, state);
    const result = await withInterrupts((signal) =>
      resumeCluster({ deps, name: args.cluster, template, setup: args.setup !== false, signal }),
    );
    if (args.json) {
      const { state: resumed, ...done } = result;
      printJson({ name: args.cluster, ...done, nodes: resumed.nodes });
    } else if (result.alreadyRunning) {
      printLines([`Cluster "${args.cluster}" is not paused: nothing to resume.`]);
    } else {
      printLines([
        `Cluster "${args.cluster}" resumed: ${result.started.length} node(s) started, every node answers SSH.`,
        ...(result.addressesChanged.length > 0
          ? [
              `Addresses changed on ${result.addressesChanged.join(', ')}${result.setupRan ? '; the setup ran again.' : '.'}`,
            ]
          : []),
      ]);
    }
  },
};
