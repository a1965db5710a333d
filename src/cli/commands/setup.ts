import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, openRepo, passthroughArgs } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  json?: boolean;
}

/** `herd setup NAME [-- ansible-playbook args]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { configureCluster } = await import('../../cluster/configure.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const deps = await buildDeps(ctx, { json: args.json === true });
  const lock = await repo.lock(args.cluster);
  try {
    const state = await repo.load(args.cluster);
    const template = await liveTemplate(ctx, state);
    await withInterrupts((signal) =>
      configureCluster({ deps, state, template, extraArgs: passthroughArgs(args), signal }),
    );
    if (args.json) printJson(state);
    else printLines([`Cluster "${state.name}" configured.`]);
  } finally {
    await lock.release();
  }
}
