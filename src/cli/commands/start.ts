import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
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
export const startCommand: CommandModule<GlobalArgs, Args> = {
  command: 'start <template>',
  describe: 'Start a cluster from a template, or finish starting one that was interrupted',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('template', {
        type: 'string',
        demandOption: true,
        describe: 'Name of a [cluster/NAME] section',
      })
      .option('name', { alias: 'n', type: 'string', describe: 'Cluster name (default: the template name)' })
      .option('nodes', { type: 'string', describe: 'Node counts N:KIND[,N:KIND...] overriding the template' })
      .option('setup', {
        type: 'boolean',
        default: true,
        describe: 'Run Ansible after the nodes are up (--no-setup skips it)',
      })
      .option('idle-stop', {
        type: 'number',
        describe:
          'Minutes without a Slurm job or SSH session after which the cluster powers itself off (idle_stop_minutes; 0 = never)',
      })
      .option('json', { type: 'boolean', describe: 'Print the resulting cluster (or the plan) as JSON' })
      .option('dry-run', {
        type: 'boolean',
        describe: 'Print what would be created and configured, checked with read-only calls; create nothing',
      })
      .example('$0 start slurm', 'start the [cluster/slurm] template')
      .example(
        '$0 start slurm -n big --nodes 10:compute',
        'a second cluster with 10 compute nodes',
      ) as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    // Loaded on use, so `herd --help` pays only for yargs.
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
  },
};
