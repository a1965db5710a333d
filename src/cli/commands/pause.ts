import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveCloud, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  terminateUnstoppable?: boolean;
  json?: boolean;
}

/** `herd pause NAME`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { pauseCluster } = await import('../../cluster/pause.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const state = await repo.load(args.cluster);
  const deps = await buildDeps(ctx, { json: args.json === true });
  const cloud = await liveCloud(ctx, state);
  const result = await withInterrupts((signal) =>
    pauseCluster({
      deps,
      name: args.cluster,
      cloud,
      terminateUnstoppable: args.terminateUnstoppable === true,
      signal,
    }),
  );
  if (args.json) {
    printJson({
      name: args.cluster,
      paused: result.state.pause ?? null,
      stopped: result.stopped,
      terminated: result.terminated,
      alreadyPaused: result.alreadyPaused,
    });
  } else if (result.alreadyPaused) {
    printLines([`Cluster "${args.cluster}" is paused already. Resume it with: herd resume ${args.cluster}`]);
  } else {
    printLines([
      `Cluster "${args.cluster}" paused: ${result.stopped.length} node(s) stopped, disks kept.`,
      ...(result.terminated.length > 0
        ? [`Terminated (could not be stopped): ${result.terminated.join(', ')}.`]
        : []),
      `Resume it with: herd resume ${args.cluster}`,
    ]);
  }
}
