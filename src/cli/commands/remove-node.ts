import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveSettings, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  node: string;
  yes?: boolean;
  setup?: boolean;
  json?: boolean;
}

/** `herd remove-node NAME NODE`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use, so `herd --help` pays only for yargs.
  const { resizeCluster } = await import('../../cluster/resize.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const state = await repo.load(args.cluster);
  if (!(await confirm(`Remove node ${args.node} from "${state.name}"?`, args.yes === true))) {
    printLines(['Nothing done.']);
    return;
  }
  const deps = await buildDeps(ctx, { json: args.json === true });
  const { cloud, secrets } = await liveSettings(ctx, state, { forSetup: args.setup !== false });
  const result = await withInterrupts((signal) =>
    resizeCluster({
      deps,
      name: args.cluster,
      cloud,
      secrets,
      add: [],
      remove: [],
      removeNames: [args.node],
      setup: args.setup !== false,
      signal,
    }),
  );
  if (args.json) printJson({ ...result.state, removed: result.removed, setupRan: result.setupRan });
  else printLines([`Removed ${args.node} from "${args.cluster}".`]);
}
