import type { ArgumentsCamelCase } from 'yargs';
import { assertNotPaused } from '../../cluster/paused.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { openRepo, passthroughArgs, runOpenSsh } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  node?: string;
}

/** `herd ssh|sftp NAME [-n NODE_OR_KIND] [-- args]`. */
export function sshHandler(tool: 'ssh' | 'sftp') {
  return async (args: ArgumentsCamelCase<Args>): Promise<void> => {
    const ctx = contextFrom(args);
    const repo = await openRepo(ctx);
    const state = await repo.load(args.cluster);
    assertNotPaused(state);
    process.exitCode = await runOpenSsh(tool, state, args.node, passthroughArgs(args));
  };
}
