/** `list-nodes -u`: ask the cloud for the current status of every node and save it. */
import type { CloudSection } from '../config/types.js';
import { HerdError, StateError, StateLockError } from '../errors.js';
import type { ClusterState } from '../state/types.js';
import { eachLimited } from '../util/each-limited.js';
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

/** How many clusters `herd list -u` asks their clouds about at once. */
export const REFRESH_CLUSTERS_AT_ONCE = 4;

/** What became of one cluster in refreshClusters. */
export type ClusterRefresh =
  /** Node states asked for and saved. */
  | { readonly name: string; readonly outcome: 'updated'; readonly state: ClusterState }
  /** Another herd holds the cluster's lock: `state` is as last saved. */
  | {
      readonly name: string;
      readonly outcome: 'locked';
      readonly state: ClusterState;
      readonly error: HerdError;
    }
  /** The cloud could not be asked (credentials, missing cloud section, provider error): `state` is as last saved. */
  | {
      readonly name: string;
      readonly outcome: 'failed';
      readonly state: ClusterState;
      readonly error: HerdError;
    }
  /** The cluster was removed (a `herd stop` finished) while the others were being asked. */
  | { readonly name: string; readonly outcome: 'gone' };

/**
 * `list -u`: refreshes every cluster as `list-nodes -u` does (refreshNodes, under each cluster's lock),
 * at most `limit` at a time. One cluster's failure never stops the others: it is returned, with the
 * state as last saved, in the order of `clusters`.
 */
export async function refreshClusters(options: {
  readonly deps: ClusterDeps;
  readonly clusters: readonly ClusterState[];
  /** The cloud section to use for a cluster (the configuration's, else the snapshot in state). */
  readonly cloudOf: (state: ClusterState) => CloudSection;
  readonly limit?: number;
}): Promise<ClusterRefresh[]> {
  const { deps, clusters, cloudOf } = options;
  const results: ClusterRefresh[] = [];
  const refreshOne = async (index: number): Promise<void> => {
    const saved = clusters[index]!;
    const name = saved.name;
    try {
      const state = await refreshNodes({ deps, name, cloud: cloudOf(saved) });
      results[index] = { name, outcome: 'updated', state };
    } catch (error) {
      if (error instanceof StateError && error.code === 'ClusterNotFound') {
        results[index] = { name, outcome: 'gone' };
      } else if (error instanceof StateLockError) {
        results[index] = { name, outcome: 'locked', state: saved, error };
      } else {
        results[index] = { name, outcome: 'failed', state: saved, error: asHerdError(error) };
      }
    }
  };
  await eachLimited(
    clusters.map((_, i) => i),
    options.limit ?? REFRESH_CLUSTERS_AT_ONCE,
    refreshOne,
  );
  return results;
}

/** A bug's error (not a HerdError) keeps its message, so that one cluster's crash is reported, not fatal. */
function asHerdError(error: unknown): HerdError {
  if (error instanceof HerdError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new HerdError('UnexpectedError', message, { cause: error });
}
