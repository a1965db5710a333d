import type { ArgumentsCamelCase } from 'yargs';
import { UsageError } from '../../errors.js';
import { renderClusterSummary } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
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
  // Loaded on use, so `herd --help` pays only for yargs.
  const { resizeCluster } = await import('../../cluster/resize.js');
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
  const deps = await buildDeps(ctx, { json: args.json === true });
  const { cloud, secrets } = await liveSettings(ctx, state, { forSetup: args.setup !== false });
  const result = await withInterrupts((signal) =>
    resizeCluster({
      deps,
      name: args.cluster,
      cloud,
      secrets,
      add,
      remove,
      setup: args.setup !== false,
      signal,
    }),
  );
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
