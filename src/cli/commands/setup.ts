import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  json?: boolean;
  force?: boolean;
}

/** `herd setup NAME [-- ansible-playbook args]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { setupCluster } = await import('../../cluster/configure.js');
  const ctx = contextFrom(args);
  const deps = await buildDeps(ctx, { json: args.json === true });
  const { state, result } = await withInterrupts((signal) =>
    setupCluster({
      deps,
      name: args.cluster,
      templateFor: (saved) => liveTemplate(ctx, saved),
      extraArgs: passthroughArgs(args),
      force: args.force === true,
      signal,
    }),
  );
  if (args.json) printJson({ ...state, setupRan: result.ran });
  else if (!result.ran && result.checked) {
    const { nodes, seconds } = result.checked;
    printLines([
      `setup: nothing changed since the last run (${nodes} node(s) checked in ${seconds.toFixed(1)} s); --force runs Ansible anyway.`,
    ]);
  } else printLines([`Cluster "${state.name}" configured.`]);
}
