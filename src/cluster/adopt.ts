/**
 * Reconciling state with what the cloud has: instances of the cluster (its name and id, as the
 * provider's findNodes decides) that state lacks are adopted, one record per node name, so nothing
 * herd created is ever lost and no node is ever recorded twice.
 */
import type { Template } from '../config/types.js';
import type { NodeStatus, Provider } from '../providers/types.js';
import { cloudNameFor } from '../state/index.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { applyStatus, clusterRef } from './records.js';

/**
 * Asks the cloud for the cluster's instances and adopts them (see adoptFound); saves when anything
 * changed.
 */
export async function adoptUnknownNodes(
  state: ClusterState,
  template: Template,
  provider: Provider,
  deps: ClusterDeps,
): Promise<void> {
  const found = await provider.findNodes(clusterRef(state));
  if (adoptFound(state, template, found, deps)) await deps.repo.save(state);
}

/**
 * A `creating` record whose create call did reach the cloud gets its instance id; an instance state
 * does not know at all becomes a record, unless its node name is unknown or taken by another
 * instance in state (then it is named in a warning: `herd stop` terminates it). Returns whether
 * state changed.
 */
export function adoptFound(
  state: ClusterState,
  template: Template,
  found: readonly NodeStatus[],
  deps: Pick<ClusterDeps, 'log'>,
): boolean {
  let changed = false;
  for (const status of found) {
    if (state.nodes.some((n) => n.instanceId === status.instanceId)) continue;
    const named = status.name === undefined ? undefined : state.nodes.find((n) => n.name === status.name);
    if (named && !named.instanceId) {
      applyStatus(named, status);
      changed = true;
      continue;
    }
    const kind = status.name ? kindOf(status.name, template) : undefined;
    if (named || !status.name || !kind) {
      const why = named
        ? `as node ${status.name}, which is ${named.instanceId} in the state file`
        : 'with an unknown node name';
      deps.log.warn(
        `Found instance ${status.instanceId} of cluster "${state.name}" ${why}; "herd stop ${state.name}" will terminate it.`,
      );
      continue;
    }
    const node: NodeRecord = {
      name: status.name,
      kind,
      cloudName: cloudNameFor(clusterRef(state).name, status.name, state.id),
      state: 'pending',
      publicIps: [],
      privateIps: [],
      runId: 'adopted',
      createdAt: new Date().toISOString(),
    };
    applyStatus(node, status);
    state.nodes.push(node);
    deps.log.info(
      `Adopted ${status.name} (${status.instanceId}), which the cloud has but the state file did not.`,
    );
    changed = true;
  }
  return changed;
}

function kindOf(nodeName: string, template: Template): string | undefined {
  const match = /^(.*?)(\d+)$/.exec(nodeName);
  return match && template.kinds.some((k) => k.name === match[1]) ? match[1] : undefined;
}
