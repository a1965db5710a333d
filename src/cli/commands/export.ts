import type { ArgumentsCamelCase } from 'yargs';
import { UsageError } from '../../errors.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  output?: string;
  privateKey?: boolean;
  json?: boolean;
}

/** `herd export NAME -o FILE [--no-private-key]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  const output = args.output;
  if (!output) {
    throw new UsageError('herd export needs the archive to write: -o FILE.', {
      hint: `For example: herd export ${args.cluster} -o ${args.cluster}.tar.gz`,
    });
  }
  // Loaded on use: a command loads only what it runs.
  const { exportCluster } = await import('../../cluster/export.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const result = await withInterrupts(
    (signal) =>
      exportCluster({
        repo,
        name: args.cluster,
        output,
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
}
