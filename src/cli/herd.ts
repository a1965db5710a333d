/**
 * What `bin/herd` runs: the entry of the bundle `npm run build` writes to dist/bundle/ (see
 * scripts/bundle.mjs). The shell completion's quick path loads neither yargs nor the commands.
 */
import { run } from './main.js';

if (process.argv[2] === '__complete') {
  const { complete, fileSources, formatCompletion } = await import('./completion/complete.js');
  const words = process.argv.slice(3);
  process.stdout.write(formatCompletion(await complete(words, fileSources(words))));
} else {
  process.exitCode = await run(process.argv.slice(2));
}
