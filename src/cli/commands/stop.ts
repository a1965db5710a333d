import type { ArgumentsCamelCase } from 'yargs';
import { sharedClusterWarning, stopQuestion } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { buildDeps, liveCloud, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  yes?: boolean;
  force?: boolean;
  wait?: boolean;
  json?: boolean;
}

/** `herd stop NAME`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { stopCluster } = await import('../../cluster/stop.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const state = await repo.load(args.cluster);
  const shared = sharedClusterWarning(state);
  if (shared) ctx.log.warn(shared);
  const deps = await buildDeps(ctx, { json: args.json === true });
  const result = await stopCluster({
    deps,
    name: args.cluster,
    cloud: await liveCloud(ctx, state),
    force: args.force === true,
    wait: args.wait === true,
    // Asked once the cloud has said what is there: the question lists exactly what goes.
    confirm: (plan) => confirm(stopQuestion(plan), args.yes === true),
  });
  if (result.cancelled) {
    printLines(['Nothing done.']);
    return;
  }
  if (args.json) {
    const { cancelled: _, ...done } = result;
    printJson({ name: args.cluster, ...done });
  } else {
    printLines([
      `Cluster "${args.cluster}" stopped: ${result.terminated.length} node(s) terminated.`,
      ...(result.strays.length ? [`(${result.strays.length} of them were found by tag, not in state.)`] : []),
    ]);
  }
}
