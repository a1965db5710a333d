import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  file: string;
  name?: string;
  json?: boolean;
}

/** `herd import FILE [-n NEWNAME]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
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
}
