import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  json?: boolean;
}

/** `herd setup NAME [-- ansible-playbook args]`. */
export const setupCommand: CommandModule<GlobalArgs, Args> = {
  command: 'setup <cluster>',
  describe: 'Run Ansible on every node of a cluster again (arguments after -- go to ansible-playbook)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .option('json', { type: 'boolean', describe: 'Print the cluster as JSON when done' })
      .example('$0 setup slurm', 're-run the playbooks')
      .example('$0 setup slurm -- --tags slurm --check', 'pass options to ansible-playbook') as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { setupCluster } = await import('../../cluster/configure.js');
    const ctx = contextFrom(args);
    const deps = await buildDeps(ctx, { json: args.json === true });
    const state = await withInterrupts((signal) =>
      setupCluster({
        deps,
        name: args.cluster,
        templateFor: (saved) => liveTemplate(ctx, saved),
        extraArgs: passthroughArgs(args),
        signal,
      }),
    );
    if (args.json) printJson(state);
    else printLines([`Cluster "${state.name}" configured.`]);
  },
};
