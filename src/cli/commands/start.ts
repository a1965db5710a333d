import type { ArgumentsCamelCase } from 'yargs';
import { renderClusterSummary } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { parseNodeCounts } from '../node-counts.js';
import { buildDeps, buildPlanDeps, loadConfigFor } from '../wiring.js';

interface Args extends GlobalArgs {
  template: string;
  name?: string;
  nodes?: string;
  setup?: boolean;
  json?: boolean;
  dryRun?: boolean;
}

/** `herd start TEMPLATE`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { startCluster } = await import('../../cluster/start.js');
  const { chooseSshTarget } = await import('../../ssh/openssh.js');
  const ctx = contextFrom(args);
  const nodeCounts = args.nodes === undefined ? [] : parseNodeCounts(args.nodes, '--nodes');
  const { config, getTemplate } = await loadConfigFor(ctx, { quiet: args.json === true });
  const template = getTemplate(config, args.template);
  if (args.dryRun) {
    const { planStart } = await import('../../cluster/plan.js');
    const plan = await planStart({
      deps: await buildPlanDeps(ctx),
      template,
      name: args.name ?? args.template,
      nodeCounts,
      setup: args.setup !== false,
    });
    const { printPlan } = await import('../print-plan.js');
    return printPlan(plan, args.json === true);
  }
  const deps = await buildDeps(ctx, { json: args.json === true });
  const result = await withInterrupts((signal) =>
    startCluster({
      deps,
      template,
      name: args.name ?? args.template,
      nodeCounts,
      setup: args.setup !== false,
      signal,
    }),
  );
  if (args.json) {
    printJson({ ...result.state, setupRan: result.setupRan, dropped: result.grow.dropped });
    return;
  }
  const lines = ['', ...renderClusterSummary(result.state, chooseSshTarget(result.state))];
  if (!result.setupRan && !result.state.setupCompletedAt) {
    lines.push('', `The cluster is not configured yet; run: herd setup ${result.state.name}`);
  }
  printLines(lines);
}
