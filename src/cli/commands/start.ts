import type { ArgumentsCamelCase } from 'yargs';
import type { Template } from '../../config/types.js';
import { UsageError } from '../../errors.js';
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
  idleStop?: number;
}

/** The template with `--idle-stop MINUTES` in place of its idle_stop_minutes. */
function withIdleStop(template: Template, minutes: number | undefined): Template {
  if (minutes === undefined) return template;
  if (!Number.isFinite(minutes) || minutes < 0) {
    throw new UsageError(`--idle-stop ${minutes}: give a number of minutes, 0 or more (0 = never).`);
  }
  const { idleStopMinutes: _, ...cluster } = template.cluster;
  return { ...template, cluster: minutes > 0 ? { ...cluster, idleStopMinutes: minutes } : cluster };
}

/** `herd start TEMPLATE`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { startCluster } = await import('../../cluster/start.js');
  const { chooseSshTarget } = await import('../../ssh/openssh.js');
  const ctx = contextFrom(args);
  const nodeCounts = args.nodes === undefined ? [] : parseNodeCounts(args.nodes, '--nodes');
  const { config, getTemplate } = await loadConfigFor(ctx, { quiet: args.json === true });
  const template = withIdleStop(getTemplate(config, args.template), args.idleStop);
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
