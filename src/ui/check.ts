/** Text of `herd check`: one line per check under its subject, then a count. */
import type { CheckReport } from '../cluster/check.js';
import { renderChecks } from './plan.js';

/** The report as lines for people. */
export function renderCheckReport(report: CheckReport): string[] {
  const lines: string[] = [];
  for (const section of report.sections) {
    if (section.checks.length === 0) continue;
    lines.push(section.title, ...renderChecks(section.checks), '');
  }
  const all = report.sections.flatMap((s) => s.checks);
  const count = (status: string) => all.filter((c) => c.status === status).length;
  lines.push(
    `${all.length} check(s): ${count('ok')} ok, ${count('warn')} warning(s), ${count('fail')} failed.`,
  );
  return lines;
}
