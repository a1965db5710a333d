import type { ClusterPlan } from '../cluster/plan.js';
import { ExitCode } from '../errors.js';
import { printJson, printLines } from '../ui/output.js';

/** Prints a dry run's plan (JSON or text); a plan with a failed check exits 1. */
export async function printPlan(plan: ClusterPlan, json: boolean): Promise<void> {
  if (json) printJson(plan);
  else {
    const { renderPlan } = await import('../ui/plan.js');
    printLines(renderPlan(plan));
  }
  if (!plan.ok) process.exitCode = ExitCode.Failure;
}
