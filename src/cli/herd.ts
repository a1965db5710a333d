/**
 * What `bin/herd` runs: the entry of the bundle `npm run build` writes to dist/bundle/ (see
 * scripts/bundle.mjs). The shell completion's quick path loads neither yargs nor the commands.
 */
import { run } from './main.js';

/** Runs herd with `argv` (without node and script) and sets the process's exit code. */
export async function main(argv: readonly string[]): Promise<void> {
  if (argv[0] === '__complete') {
    const { complete, fileSources, formatCompletion } = await import('./completion/complete.js');
    const words = argv.slice(1);
    process.stdout.write(formatCompletion(await complete(words, fileSources(words))));
  } else {
    process.exitCode = await run(argv);
  }
}
