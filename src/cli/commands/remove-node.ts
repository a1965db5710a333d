import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { confirm } from '../confirm.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { openRepo } from '../wiring.js';
import { resizeWithLiveSettings } from './resize.js';

interface Args extends GlobalArgs {
  cluster: string;
  node: string;
  yes?: boolean;
  setup?: boolean;
  json?: boolean;
}

/** `herd remove-node NAME NODE`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const state = await repo.load(args.cluster);
  if (!(await confirm(`Remove node ${args.node} from "${state.name}"?`, args.yes === true))) {
    printLines(['Nothing done.']);
    return;
  }
  const result = await resizeWithLiveSettings(ctx, state, {
    name: args.cluster,
    add: [],
    remove: [],
    removeNames: [args.node],
    setup: args.setup !== false,
    json: args.json === true,
  });
  if (args.json) printJson({ ...result.state, removed: result.removed, setupRan: result.setupRan });
  else printLines([`Removed ${args.node} from "${args.cluster}".`]);
}
