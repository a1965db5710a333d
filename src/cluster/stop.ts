/** `herd stop`: terminate every node of a cluster (known to state or found by tag) and forget it. */
import type { CloudSection } from '../config/types.js';
import { ProviderError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { ClusterDeps } from './deps.js';
import { sleep } from './records.js';

/** Options of `stopCluster`. */
export interface StopOptions {
  readonly deps: ClusterDeps;
  readonly name: string;
  /** The cloud section with live settings (secrets), or the state snapshot's when the config lacks it. */
  readonly cloud: CloudSection;
  /** Go on past termination errors; the state keeps only the nodes that could not be terminated. */
  readonly force: boolean;
  /** Wait until the cloud reports every node terminated. */
  readonly wait: boolean;
}

/** What stop did. */
export interface StopResult {
  readonly terminated: readonly string[];
  /** Instances found by tag that state did not know. */
  readonly strays: readonly string[];
}

/** Terminates every node; the state file is removed only when nothing is left on the cloud. */
export async function stopCluster(options: StopOptions): Promise<StopResult> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    const provider = await deps.createProvider(options.cloud, { storageDir: deps.repo.dir, log: deps.log });
    const found = await provider.findNodes(name);
    const knownIds = new Set(state.nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : [])));
    const strays = found.map((s) => s.instanceId).filter((id) => !knownIds.has(id));
    const ids = [...knownIds, ...strays];
    for (const n of state.nodes) n.state = 'terminating';
    await deps.repo.save(state);

    deps.progress.step(`Terminate ${ids.length} node(s)`, 'start');
    try {
      if (ids.length > 0) await provider.terminateNodes(name, ids);
    } catch (error) {
      deps.progress.step(`Terminate ${ids.length} node(s)`, 'failed');
      if (!options.force) {
        throw new ProviderError(
          'TerminateFailed',
          `Could not terminate the nodes of "${name}": ${message(error)}`,
          {
            cause: error,
            hint: `The state is kept. Retry "herd stop ${name}", or add --force to go on past errors.`,
          },
        );
      }
      deps.log.warn(
        `terminating nodes of "${name}" failed (${message(error)}); going on because of --force.`,
      );
    }
    if (options.wait) await waitTerminated(provider, name, ids);
    const left = (await provider.findNodes(name)).filter((s) => s.state !== 'terminated');
    if (left.length > 0) {
      state.nodes = state.nodes.filter((n) => left.some((l) => l.instanceId === n.instanceId));
      await deps.repo.save(state);
      throw new ProviderError(
        'NodesLeft',
        `${left.length} node(s) of "${name}" are still there: ${left.map((l) => l.name ?? l.instanceId).join(', ')}.`,
        { hint: `The state keeps them; run "herd stop ${name}" again.` },
      );
    }
    await provider.cleanup(name);
    deps.progress.step(`Terminate ${ids.length} node(s)`, 'done');
    await deps.closeConnections(name);
    await deps.repo.remove(name);
    return { terminated: ids, strays };
  } finally {
    await deps.progress.close();
    await lock.release();
  }
}

async function waitTerminated(provider: Provider, name: string, ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const statuses = await provider.describeNodes(name, ids);
    if (statuses.every((s) => s.state === 'terminated')) return;
    await sleep(2000);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
