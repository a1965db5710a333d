import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, openRepo, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
}

/** `herd setup NAME [-- ansible-playbook args]`. */
export const setupCommand: CommandModule<GlobalArgs, Args> = {
  command: 'setup <cluster>',
  describe: 'Run Ansible on every node of a cluster again (arguments after -- go to ansible-playbook)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .example('$0 setup slurm', 're-run the playbooks')
      .example('$0 setup slurm -- --tags slurm --check', 'pass options to ansible-playbook') as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { configureCluster } = await import('../../cluster/configure.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const deps = await buildDeps(ctx, { json: false });
    const lock = await repo.lock(args.cluster);
    try {
      const state = await repo.load(args.cluster);
      const template = await liveTemplate(ctx, state);
      await withInterrupts((signal) =>
        configureCluster({ deps, state, template, extraArgs: passthroughArgs(args), signal }),
      );
      printLines([`Cluster "${state.name}" configured.`]);
    } finally {
      await lock.release();
    }
  },
};
