/**
 * Global options and the per-invocation context built from them. Commands get their dependencies
 * (config, state repository, logger) from here, so they stay thin.
 */
import type { Options } from 'yargs';
import type { Logger } from '../log.js';
import { createStderrLogger } from '../ui/log.js';
import { defaultPaths } from './paths.js';

/** Options accepted before or after any command. */
export const globalOptions = {
  config: {
    alias: 'c',
    type: 'string',
    describe: 'Configuration file (also reads <file>.d/*.conf) [env HERD_CONFIG, default ~/.herd/config]',
    global: true,
  },
  storage: {
    alias: 's',
    type: 'string',
    describe: 'Directory for cluster state [env HERD_STORAGE, default ~/.herd/storage]',
    global: true,
  },
  verbose: {
    alias: 'v',
    type: 'count',
    describe: 'More output; repeat for more (-vvv adds stack traces)',
    global: true,
  },
  debug: { type: 'boolean', describe: 'Show stack traces and causes of errors', global: true },
} as const satisfies Record<string, Options>;

/** Parsed global options as yargs hands them to a command. */
export interface GlobalArgs {
  config?: string | undefined;
  storage?: string | undefined;
  verbose?: number | undefined;
  debug?: boolean | undefined;
}

/** Resolved global settings of one invocation. */
export interface CliContext {
  configPath: string;
  /** True when neither -c/--config nor HERD_CONFIG named the file: only then is a missing one created. */
  configIsDefault: boolean;
  storageDir: string;
  verbosity: number;
  log: Logger;
}

/** Resolves flags, then environment, then defaults. */
export function contextFrom(args: GlobalArgs, env: NodeJS.ProcessEnv = process.env): CliContext {
  const defaults = defaultPaths(env);
  const verbosity = args.verbose ?? 0;
  const chosen = args.config || env['HERD_CONFIG'];
  return {
    configPath: chosen || defaults.config,
    configIsDefault: !chosen,
    storageDir: args.storage || env['HERD_STORAGE'] || defaults.storage,
    verbosity,
    log: createStderrLogger(verbosity),
  };
}
