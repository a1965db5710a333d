import type { ArgumentsCamelCase } from 'yargs';
import { pauseLabel } from '../../cluster/paused.js';
import { ExitCode } from '../../errors.js';
import { countsByKind } from '../../ui/cluster-summary.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  json?: boolean;
}

/** `herd list`: every cluster in the storage dir. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const { clusters, errors } = await repo.list();
  const rows = clusters.map((c) => ({
    name: c.name,
    id: c.id ?? null,
    template: c.templateName,
    cloud: c.template.cloud.name,
    provider: c.template.cloud.provider,
    nodes: Object.fromEntries(countsByKind(c).map(({ kind, count }) => [kind, count])),
    setupCompletedAt: c.setupCompletedAt ?? null,
    paused: c.pause ?? null,
  }));
  if (args.json) {
    printJson({ clusters: rows, errors: errors.map((e) => ({ code: e.code, message: e.message })) });
  } else if (rows.length === 0 && errors.length === 0) {
    printLines([`No clusters in ${repo.dir}.`, 'Start one with: herd start slurm']);
  } else {
    const lines: string[] = [];
    for (const r of rows) {
      lines.push(r.name, '-'.repeat(r.name.length));
      lines.push(`name:     ${r.name}`, `template: ${r.template}`, `cloud:    ${r.cloud} (${r.provider})`);
      if (r.id) lines.push(`id:       ${r.id}`);
      if (r.paused) lines.push(`status:   ${pauseLabel({ pause: r.paused })} since ${r.paused.since}`);
      for (const [kind, count] of Object.entries(r.nodes)) lines.push(`- ${kind} nodes: ${count}`);
      lines.push(`setup:    ${r.setupCompletedAt ? `done ${r.setupCompletedAt}` : 'not done'}`, '');
    }
    printLines(lines);
  }
  for (const e of errors) ctx.log.warn(`${e.message}${e.hint ? ` (${e.hint})` : ''}`);
  if (errors.length > 0) process.exitCode = ExitCode.Failure;
}
