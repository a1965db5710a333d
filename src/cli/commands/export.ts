import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  output: string;
  privateKey?: boolean;
  json?: boolean;
}

/** `herd export NAME -o FILE [--no-private-key]`. */
export const exportCommand: CommandModule<GlobalArgs, Args> = {
  command: 'export <cluster>',
  describe: 'Write a cluster (state, host keys, key pair; no cloud secret) to a .tar.gz for herd import',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('cluster', { type: 'string', demandOption: true, describe: 'Cluster name' })
      .option('output', {
        alias: 'o',
        type: 'string',
        demandOption: true,
        describe: 'Archive to write (mode 0600; an existing file is not overwritten)',
      })
      .option('private-key', {
        type: 'boolean',
        default: true,
        describe: 'Include the generated private key (--no-private-key leaves it out)',
      })
      .option('json', { type: 'boolean', describe: 'Print what was written as JSON' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { exportCluster } = await import('../../cluster/export.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const result = await withInterrupts(
      (signal) =>
        exportCluster({
          repo,
          name: args.cluster,
          output: args.output,
          includePrivateKey: args.privateKey !== false,
          signal,
        }),
      { message: 'no archive will be written' },
    );
    if (args.json) {
      printJson(result);
      return;
    }
    const key = {
      included: 'with its private key: keep the file as secret as the key',
      'left-out': 'without its private key (--no-private-key)',
      login: "without a key: the cluster uses the login section's own key pair",
    }[result.key];
    printLines([
      `Cluster "${result.cluster}" exported to ${result.file} (${result.bytes} bytes, mode 0600), ${key}.`,
      `Import it elsewhere with: herd import ${result.file} [-n NEWNAME]`,
      'Both this install and the imported copy can then terminate its nodes; stop it from one place only.',
    ]);
  },
};
