/** `herd stop`: terminate every node of a cluster (known to state or found by its tags) and forget it. */
import type { CloudSection } from '../config/types.js';
import { ProviderError } from '../errors.js';
import type { ClusterRef, Provider } from '../providers/types.js';
import { adoptFound } from './adopt.js';
import type { ClusterDeps } from './deps.js';
import { applyStatus, clusterRef, providerContextOf, sleep } from './records.js';
import { terminateRecorded } from './terminate.js';

/** What stop is about to do, for the confirmation question. */
export interface StopPlan {
  readonly cluster: ClusterRef;
  /** Every instance that will be terminated: state's, then those found on the cloud that state lacks. */
  readonly instances: readonly { instanceId: string; node: string | undefined; inState: boolean }[];
  /** Nodes of the state file that never got an instance (their create call never reached the cloud). */
  readonly unlaunched: readonly string[];
}

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
  /** Asked with exactly what will be terminated, before anything is; false leaves everything as it is. */
  readonly confirm?: ((plan: StopPlan) => Promise<boolean>) | undefined;
}

/** What stop did. */
export interface StopResult {
  readonly terminated: readonly string[];
  /** Instances found by the cluster's tags that state did not know. */
  readonly strays: readonly string[];
  /** The confirmation was declined: nothing was done. */
  readonly cancelled: boolean;
}

/** Terminates every node; the state file is removed only when nothing is left on the cloud. */
export async function stopCluster(options: StopOptions): Promise<StopResult> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    const ref = clusterRef(state);
    const provider = await deps.createProvider(
      options.cloud,
      providerContextOf(state, deps.repo.dir, deps.log),
    );
    const found = await provider.findNodes(ref);
    const knownIds = new Set(state.nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : [])));
    const strays = found.filter((s) => !knownIds.has(s.instanceId));
    const plan: StopPlan = {
      cluster: ref,
      instances: [
        ...state.nodes.flatMap((n) =>
          n.instanceId ? [{ instanceId: n.instanceId, node: n.name, inState: true }] : [],
        ),
        ...strays.map((s) => ({ instanceId: s.instanceId, node: s.name, inState: false })),
      ],
      unlaunched: state.nodes.filter((n) => !n.instanceId).map((n) => n.name),
    };
    if (options.confirm && !(await options.confirm(plan))) {
      return { terminated: [], strays: [], cancelled: true };
    }
    // A setup run that a crash left behind would go on configuring nodes that are going away.
    await deps.stopOrphanedSetup(name);
    const ids = plan.instances.map((i) => i.instanceId);
    const strayIds = strays.map((s) => s.instanceId);

    deps.progress.step(`Terminate ${ids.length} node(s)`, 'start');
    try {
      await terminateRecorded(deps, state, provider, state.nodes, strayIds);
    } catch (error) {
      deps.progress.step(`Terminate ${ids.length} node(s)`, 'failed');
      if (!options.force) {
        throw new ProviderError(
          'TerminateFailed',
          `Could not terminate the nodes of "${name}": ${message(error)}`,
          {
            cause: error,
            hint: `The state records what is left. Retry "herd stop ${name}", or add --force to go on past errors.`,
          },
        );
      }
      deps.log.warn(
        `terminating nodes of "${name}" failed (${message(error)}); going on because of --force.`,
      );
    }
    if (options.wait) await waitTerminated(provider, ref, ids);
    const left = (await provider.findNodes(ref)).filter((s) => s.state !== 'terminated');
    if (left.length > 0) {
      state.nodes = state.nodes.filter((n) => left.some((l) => l.instanceId === n.instanceId));
      for (const n of state.nodes) applyStatus(n, left.find((l) => l.instanceId === n.instanceId)!);
      // Left-over instances state did not know are recorded too: the next stop finds them in state.
      adoptFound(state, state.template, left, deps);
      await deps.repo.save(state);
      throw new ProviderError(
        'NodesLeft',
        `${left.length} node(s) of "${name}" are still there: ${left.map((l) => l.name ?? l.instanceId).join(', ')}.`,
        { hint: `The state keeps them; run "herd stop ${name}" again.` },
      );
    }
    await provider.cleanup(ref);
    deps.progress.step(`Terminate ${ids.length} node(s)`, 'done');
    await deps.closeConnections(name);
    await deps.repo.remove(name);
    return { terminated: ids, strays: strayIds, cancelled: false };
  } finally {
    await deps.progress.close();
    await lock.release();
  }
}

async function waitTerminated(provider: Provider, ref: ClusterRef, ids: readonly string[]): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const statuses = await provider.describeNodes(ref, ids);
    if (statuses.every((s) => s.state === 'terminated')) return;
    await sleep(2000);
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
