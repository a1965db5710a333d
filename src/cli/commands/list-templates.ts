import type { ArgumentsCamelCase, Argv, CommandModule } from 'yargs';
import { ExitCode, formatProblem } from '../../errors.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { loadConfigFor } from '../wiring.js';

interface Args extends GlobalArgs {
  globs?: string[];
  json?: boolean;
}

/** `herd list-templates [GLOB...]`. */
export const listTemplatesCommand: CommandModule<GlobalArgs, Args> = {
  command: 'list-templates [globs..]',
  describe: 'List the cluster templates of the configuration (invalid ones with their errors)',
  builder: (y: Argv<GlobalArgs>) =>
    y
      .positional('globs', {
        type: 'string',
        array: true,
        describe: 'Only templates matching these shell globs',
      })
      .option('json', { type: 'boolean', describe: 'Print JSON' })
      .example('$0 list-templates', 'every template')
      .example("$0 list-templates '*slurm*'", 'templates whose name contains slurm') as Argv<Args>,
  handler: async (args: ArgumentsCamelCase<Args>) => {
    const ctx = contextFrom(args);
    const { config, summarizeTemplates } = await loadConfigFor(ctx, { quiet: args.json === true });
    const rows = summarizeTemplates(config, args.globs ?? []);
    const invalid = rows.filter((r) => !r.valid);
    if (args.json) {
      printJson({ templates: rows, errors: config.errors });
    } else {
      const lines = [
        `${rows.length} cluster template(s) found${invalid.length ? `, ${invalid.length} invalid` : ''}.`,
      ];
      for (const r of rows) {
        lines.push('', `name:     ${r.name}${r.valid ? '' : '  (INVALID)'}`);
        lines.push(`cloud:    ${r.cloud ?? '?'}${r.provider ? ` (${r.provider})` : ''}`);
        for (const [kind, count] of Object.entries(r.counts)) lines.push(`- ${kind} nodes: ${count}`);
        if (r.note) lines.push(`  note: ${r.note}`);
        for (const p of r.problems) lines.push(`  error: ${formatProblem(p)}`);
      }
      printLines(lines);
      if (config.errors.length > 0) {
        printLines(
          [
            '',
            `${config.errors.length} problem(s) outside any valid template:`,
            ...config.errors.map((p) => `  error: ${formatProblem(p)}`),
          ],
          process.stderr,
        );
      }
    }
    if (invalid.length > 0 || config.errors.length > 0) process.exitCode = ExitCode.Usage;
  },
};
