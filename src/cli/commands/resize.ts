import type { ArgumentsCamelCase } from 'yargs';
import type { ResizeOptions, ResizeResult } from '../../cluster/resize.js';
import { UsageError } from '../../errors.js';
import type { ClusterState } from '../../state/types.js';
import { renderClusterSummary } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { type CliContext, contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { parseNodeCounts } from '../node-counts.js';
import { buildDeps, buildPlanDeps, liveCloud, liveSettings, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  add?: string;
  remove?: string;
  setup?: boolean;
  yes?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

/** `herd resize NAME -a N:KIND -r N:KIND`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { chooseSshTarget } = await import('../../ssh/openssh.js');
  const add = args.add === undefined ? [] : parseNodeCounts(args.add, '-a/--add');
  const remove = args.remove === undefined ? [] : parseNodeCounts(args.remove, '-r/--remove');
  if (add.length === 0 && remove.length === 0) {
    throw new UsageError('resize needs -a/--add or -r/--remove.', {
      hint: 'Example: herd resize mycluster -a 2:compute',
    });
  }
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const state = await repo.load(args.cluster);
  if (args.dryRun) {
    const { planResize } = await import('../../cluster/plan.js');
    const plan = await planResize({
      deps: await buildPlanDeps(ctx),
      name: args.cluster,
      cloud: await liveCloud(ctx, state),
      add,
      remove,
      setup: args.setup !== false,
    });
    const { printPlan } = await import('../print-plan.js');
    return printPlan(plan, args.json === true);
  }
  if (remove.some((r) => r.count > 0)) {
    const what = remove
      .filter((r) => r.count > 0)
      .map((r) => `${r.count} ${r.kind}`)
      .join(', ');
    if (!(await confirm(`Remove ${what} node(s) from "${state.name}"?`, args.yes === true))) {
      printLines(['Nothing done.']);
      return;
    }
  }
  const result = await resizeWithLiveSettings(ctx, state, {
    name: args.cluster,
    add,
    remove,
    setup: args.setup !== false,
    json: args.json === true,
  });
  if (args.json) {
    printJson({
      ...result.state,
      changed: result.changed,
      removed: result.removed,
      setupRan: result.setupRan,
    });
  } else if (!result.changed) {
    printLines([
      `Nothing to do: every count is 0; cluster "${result.state.name}" is unchanged (no setup run).`,
    ]);
  } else {
    const lines = result.removed.length ? [`Removed: ${result.removed.join(', ')}`] : [];
    printLines([...lines, '', ...renderClusterSummary(result.state, chooseSshTarget(result.state))]);
  }
}

/**
 * Resizes a cluster (resize, remove-node) with the configuration's live cloud settings and setup
 * secrets; Ctrl-C stops it cleanly.
 */
export async function resizeWithLiveSettings(
  ctx: CliContext,
  state: ClusterState,
  change: Pick<ResizeOptions, 'name' | 'add' | 'remove' | 'removeNames' | 'setup'> & { json: boolean },
): Promise<ResizeResult> {
  const { resizeCluster } = await import('../../cluster/resize.js');
  const { json, ...options } = change;
  const deps = await buildDeps(ctx, { json });
  const { cloud, secrets } = await liveSettings(ctx, state, { forSetup: change.setup });
  return withInterrupts((signal) => resizeCluster({ ...options, deps, cloud, secrets, signal }));
}
