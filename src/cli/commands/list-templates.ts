import type { ArgumentsCamelCase } from 'yargs';
import { ExitCode, formatProblem } from '../../errors.js';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { loadConfigFor } from '../wiring.js';

interface Args extends GlobalArgs {
  globs?: string[];
  json?: boolean;
}

/** `herd list-templates [GLOB...]`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
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
}
