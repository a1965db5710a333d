import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  json?: boolean;
}

/** `herd setup NAME [-- ansible-playbook args]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
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
}
