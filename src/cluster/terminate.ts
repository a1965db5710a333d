/**
 * Terminating nodes of a cluster: the intent (`terminating`) is saved before the cloud call, and when
 * the call fails, each node gets what the cloud then reports instead, so that no node stays
 * `terminating` (counted as live, never probed) and a later start replaces or probes it.
 */
import type { Provider } from '../providers/types.js';
import type { ClusterState, NodeRecord, NodeStateName } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { applyStatus, clusterRef } from './records.js';

/**
 * Marks `nodes` `terminating` (saved), then terminates their instances and `extraIds` (instances the
 * state does not know). On failure the nodes are recorded as the cloud reports them (see
 * recordWhatIsLeft) and the error is thrown on.
 */
export async function terminateRecorded(
  deps: ClusterDeps,
  state: ClusterState,
  provider: Provider,
  nodes: readonly NodeRecord[],
  extraIds: readonly string[] = [],
): Promise<void> {
  const before = new Map<NodeRecord, NodeStateName>(nodes.map((n) => [n, n.state]));
  for (const n of nodes) n.state = 'terminating';
  await deps.repo.save(state);
  const ids = [...nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : [])), ...extraIds];
  try {
    if (ids.length > 0) await provider.terminateNodes(clusterRef(state), ids);
  } catch (error) {
    await recordWhatIsLeft(deps, state, provider, before);
    throw error;
  }
}

/**
 * Gives each node its state from before the terminate, updated by what the cloud says now: gone
 * becomes `terminated` (replaced by the next start), a node still running keeps `ready`. When the
 * cloud cannot be asked either, the states from before stay (the terminate failed, after all).
 */
async function recordWhatIsLeft(
  deps: ClusterDeps,
  state: ClusterState,
  provider: Provider,
  before: ReadonlyMap<NodeRecord, NodeStateName>,
): Promise<void> {
  for (const [node, previous] of before) node.state = previous;
  const launched = [...before.keys()].filter((n) => n.instanceId);
  try {
    const statuses =
      launched.length > 0
        ? await provider.describeNodes(
            clusterRef(state),
            launched.map((n) => n.instanceId!),
          )
        : [];
    for (const status of statuses) {
      const node = launched.find((n) => n.instanceId === status.instanceId);
      if (node) applyStatus(node, status);
    }
  } catch (error) {
    deps.log.debug(`Could not ask the cloud which nodes are left: ${String(error)}`);
  }
  await deps.repo.save(state);
}
