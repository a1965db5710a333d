import type { ArgumentsCamelCase } from 'yargs';
import { printJson, printLines } from '../../ui/output.js';
import { contextFrom, type GlobalArgs } from '../context.js';
import { withInterrupts } from '../interrupt.js';
import { buildDeps, liveTemplate, openRepo } from '../wiring.js';

interface Args extends GlobalArgs {
  cluster: string;
  setup?: boolean;
  json?: boolean;
}

/** `herd resume NAME`. */
export async function handler(args: ArgumentsCamelCase<Args>): Promise<void> {
  // Loaded on use: a command loads only what it runs.
  const { resumeCluster } = await import('../../cluster/resume.js');
  const ctx = contextFrom(args);
  const repo = await openRepo(ctx);
  const state = await repo.load(args.cluster);
  const deps = await buildDeps(ctx, { json: args.json === true });
  const template = await liveTemplate(ctx, state);
  const result = await withInterrupts((signal) =>
    resumeCluster({ deps, name: args.cluster, template, setup: args.setup !== false, signal }),
  );
  if (args.json) {
    const { state: resumed, ...done } = result;
    printJson({ name: args.cluster, ...done, nodes: resumed.nodes });
  } else if (result.alreadyRunning) {
    printLines([`Cluster "${args.cluster}" is not paused: nothing to resume.`]);
  } else {
    printLines([
      `Cluster "${args.cluster}" resumed: ${result.started.length} node(s) started, every node answers SSH.`,
      ...(result.addressesChanged.length > 0
        ? [
            `Addresses changed on ${result.addressesChanged.join(', ')}${result.setupRan ? '; the setup ran again.' : '.'}`,
          ]
        : []),
    ]);
  }
}
