import type { ArgumentsCamelCase } from 'yargs';
import { renderClusterSummary, renderNodes } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { buildDeps, liveCloud, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  update?: boolean;
  json?: boolean;
}

/** `herd list-nodes NAME [-u]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { refreshNodes } = await import('../../cluster/refresh.js');
  const { chooseSshTarget } = await import('../../ssh/openssh.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  let state = await repo.load(args.cluster);
  if (args.update) {
    const deps = await buildDeps(ctx, { json: args.json === true });
    state = await refreshNodes({ deps, name: args.cluster, cloud: await liveCloud(ctx, state) });
  }
  // Listing must work while no node is reachable yet (a start in progress or interrupted).
  let target: ReturnType<typeof chooseSshTarget> | undefined;
  try {
    target = state.nodes.length > 0 ? chooseSshTarget(state) : undefined;
  } catch {
    target = undefined;
  }
  if (args.json) {
    printJson({
      name: state.name,
      id: state.id ?? null,
      template: state.templateName,
      cloud: state.template.cloud.name,
      provider: state.template.cloud.provider,
      frontend: target?.name ?? null,
      setupCompletedAt: state.setupCompletedAt ?? null,
      paused: state.pause ?? null,
      nodes: state.nodes,
    });
    return;
  }
  printLines([...renderClusterSummary(state, target), ...renderNodes(state)]);
}
