import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  file: string;
  name?: string;
  json?: boolean;
}

/** `herd import FILE [-n NEWNAME]`. */
export const importCommand: CommandModule<GlobalArgs, Args> = {
  command: 'import <file>',
  describe: 'Add a cluster from an archive of herd export to this storage directory',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('file', { type: 'string', demandOption: true, describe: 'Archive written by herd export' })
      .option('name', {
        alias: 'n',
        type: 'string',
        describe:
          'Name of the cluster here (default: its exported name); an existing cluster is never replaced',
      })
      .option('json', { type: 'boolean', describe: 'Print the result as JSON' }) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
    const { importCluster } = await import('../../cluster/import.js');
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const result = await importCluster({ repo, file: args.file, newName: args.name });
    if (args.json) {
      printJson(result);
      return;
    }
    const renamed = result.from === result.cluster ? '' : ` (exported as "${result.from}")`;
    printLines([
      `Cluster "${result.cluster}"${renamed} imported into ${repo.dir}: ${result.nodes} node(s), provider ${result.provider}.`,
      ...(result.needs.length > 0 ? ['Still needed to manage it from here:'] : []),
      ...result.needs.map((n) => `  - ${n.text}`),
      'The exporting install still manages the same nodes: stop the cluster from one place only.',
    ]);
  },
};
