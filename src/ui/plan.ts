/** Text of a dry run's plan (`start --dry-run`, `resize --dry-run`); `--json` prints the plan itself. */
import { compressHostlist } from '../cluster/hostlist.js';
import type { ClusterPlan } from '../cluster/plan.js';
import type { PreflightCheck } from '../providers/types.js';
import { renderTable } from './output.js';

/** The plan as lines for people. */
export function renderPlan(plan: ClusterPlan): string[] {
  const what = plan.action === 'start' ? (plan.existing ? 'finish starting' : 'start') : 'resize';
  const lines = [
    `Dry run: ${what} cluster "${plan.cluster}" (template ${plan.template}, cloud ${plan.cloud.name}, ${plan.cloud.provider}). Nothing was created or changed.`,
    '',
  ];
  const creating = plan.create.reduce((n, k) => n + k.count, 0);
  if (creating === 0) lines.push('Create: nothing');
  else {
    lines.push(`Create ${creating} node(s):`);
    const rows = plan.create.map((k) => [
      k.kind,
      String(k.count),
      compressHostlist(k.names),
      k.image || '-',
      k.flavor ?? '-',
      k.placement ?? '-',
      k.securityGroups.join(', ') || '-',
    ]);
    lines.push(
      ...renderTable(['kind', 'n', 'nodes', 'image', 'flavor', 'zone/subnet', 'security groups'], rows).map(
        (l) => `  ${l}`,
      ),
    );
  }
  if (plan.remove.length > 0) {
    lines.push('', `Remove ${plan.remove.length} node(s):`);
    for (const r of plan.remove) {
      lines.push(
        `  ${r.name}${r.instanceId ? ` (${r.instanceId})` : ''}: ${r.reason}${r.drain ? '; drained in Slurm first' : ''}`,
      );
    }
  }
  if (plan.adopt.length > 0) {
    lines.push(
      '',
      `Adopt ${plan.adopt.length} node(s) the cloud has for this cluster but state does not: ${plan.adopt.join(', ')}`,
    );
  }
  if (plan.keep.length > 0) lines.push('', `Keep: ${compressHostlist(plan.keep)}`);
  if (plan.resources.length > 0) {
    lines.push('', 'Resources:');
    const rows = plan.resources.map((r) => [r.action, r.type, r.name, r.detail ?? '']);
    lines.push(...renderTable(['action', 'type', 'name', 'detail'], rows).map((l) => `  ${l}`));
  }
  lines.push(
    '',
    plan.setup.run
      ? `Configure: ansible-playbook ${plan.setup.playbook} on ${plan.setup.nodes} node(s)`
      : 'Configure: no (--no-setup, or nothing changed)',
  );
  lines.push('', plan.validated ? 'Checked with read-only calls:' : 'Checks:');
  lines.push(...renderChecks(plan.checks));
  const failed = plan.checks.filter((c) => c.status === 'fail').length;
  lines.push(
    '',
    failed === 0
      ? `Nothing stands in the way: run the same command without --dry-run.`
      : `${failed} check(s) failed: the ${plan.action} would fail. Fix them first.`,
  );
  return lines;
}

/** One line per check (`ok`, `WARN`, `FAIL`), ending in what to do for those that need it. */
export function renderChecks(checks: readonly PreflightCheck[], indent = '  '): string[] {
  return checks.map((c) => {
    const mark = c.status === 'ok' ? 'ok  ' : c.status === 'warn' ? 'WARN' : 'FAIL';
    const fix = c.hint && c.status !== 'ok' ? ` -- fix: ${c.hint}` : '';
    return `${indent}${mark}  ${c.id}${c.kind ? ` (${c.kind})` : ''}: ${c.message.replace(/\s*\n\s*/g, ' ')}${fix}`;
  });
}
