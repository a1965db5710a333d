import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
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
export const checkCommand: CommandModule<GlobalArgs, Args> = {
  command: 'check [clouds..]',
  describe: 'Check clouds, host, Ansible and templates (read-only calls)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('clouds', {
        type: 'string',
        array: true,
        describe: 'Only these [cloud/NAME] sections (and their templates)',
      })
      .option('json', { type: 'boolean', describe: 'Print the checks as JSON' })
      .example('$0 check', 'everything the configuration uses')
      .example('$0 check aws', 'one cloud and its templates')
      .epilog('Exit status: 0 when no check failed (warnings allowed), 1 otherwise.') as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
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
  },
};
