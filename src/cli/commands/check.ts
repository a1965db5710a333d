import type { ArgumentsCamelCase } from 'yargs';
import { ExitCode } from '../../errors.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildPlanDeps, loadConfigFor } from '../wiring.js';

interface Args extends GlobalArgs {
  clouds?: string[];
  json?: boolean;
}

/** `herd check [CLOUD...]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  const [{ checkEnvironment }, { ansibleVersion }] = await Promise.all([
    import('../../cluster/check.js'),
    import('../../setup/ansible-version.js'),
  ]);
  const ctx = contextFrom(args);
  const { config } = await loadConfigFor(ctx, { quiet: true });
  const report = await withInterrupts(
    async (signal) =>
      checkEnvironment({
        deps: await buildPlanDeps(ctx),
        config,
        clouds: args.clouds ?? [],
        ansibleVersion: (command) => ansibleVersion(command),
        signal,
      }),
    { message: 'stopping the checks...' },
  );
  if (args.json) printJson(report);
  else {
    const { renderCheckReport } = await import('../../ui/check.js');
    printLines(renderCheckReport(report));
  }
  if (!report.ok) process.exitCode = ExitCode.Failure;
}
