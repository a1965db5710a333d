/** `list-nodes -u`: ask the cloud for the current status of every node and save it. */
import type { CloudSection } from '../config/types.js';
import type { ClusterState } from '../state/types.js';
import { adoptUnknownNodes } from './adopt.js';
import type { ClusterDeps } from './deps.js';
import { applyStatus, clusterRef, providerContextOf } from './records.js';

/**
 * A cluster with idle_stop_minutes whose nodes are all stopped powered itself off: recorded as paused
 * by `idle`, so that `list` shows it and commands that need its nodes say to resume it.
 */
function noteIdleStop(state: ClusterState): void {
  if (state.pause || !state.template.cluster.idleStopMinutes || state.nodes.length === 0) return;
  if (state.nodes.every((n) => n.state === 'stopped')) {
    state.pause = { phase: 'paused', by: 'idle', since: new Date().toISOString() };
  }
}

/** Refreshes node states and IPs from the cloud in one describe call; adopts the cluster's nodes state lacks. */
export async function refreshNodes(options: {
  readonly deps: ClusterDeps;
  readonly name: string;
  readonly cloud: CloudSection;
}): Promise<ClusterState> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    const template = { ...state.template, cloud: options.cloud };
    const provider = await deps.createProvider(
      options.cloud,
      providerContextOf(state, deps.repo.dir, deps.log),
    );
    const ids = state.nodes.flatMap((n) => (n.instanceId ? [n.instanceId] : []));
    const statuses = ids.length > 0 ? await provider.describeNodes(clusterRef(state), ids) : [];
    for (const status of statuses) {
      const node = state.nodes.find((n) => n.instanceId === status.instanceId);
      if (!node) continue;
      const wasReady = node.state === 'ready';
      applyStatus(node, status);
      if (wasReady && status.state === 'running') node.state = 'ready';
    }
    await adoptUnknownNodes(state, template, provider, deps);
    noteIdleStop(state);
    await deps.repo.save(state);
    return state;
  } finally {
    await lock.release();
  }
}
