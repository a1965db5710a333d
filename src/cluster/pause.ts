/**
 * `herd pause`: stop every node and keep its disk. The intent (`pause.phase = pausing`, nodes
 * `stopping`) is saved before the cloud is asked, so a pause cut short is finished by running it again.
 */
import type { CloudSection } from '../config/types.js';
import { ProviderError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { awaitNodeStates, requireStartStop } from './power.js';
import { applyStatus, clusterRef } from './records.js';
import { terminateRecorded } from './terminate.js';

/** Options of `pauseCluster`. */
export interface PauseOptions {
  readonly deps: ClusterDeps;
  readonly name: string;
  /** The cloud section with live settings (secrets), or the state snapshot's when the config lacks it. */
  readonly cloud: CloudSection;
  /** Terminate the nodes that cannot be stopped (their data is lost) instead of refusing to pause. */
  readonly terminateUnstoppable: boolean;
  /** How long to wait for the cloud to report every node stopped (default 15 minutes). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

/** What a pause did. */
export interface PauseResult {
  readonly state: ClusterState;
  /** Nodes now stopped. */
  readonly stopped: readonly string[];
  /** Nodes terminated because they could not be stopped (`--terminate-unstoppable`). */
  readonly terminated: readonly string[];
  /** The cluster was paused already: nothing was done. */
  readonly alreadyPaused: boolean;
}

/** States a node may be in when a pause starts (or is run again). */
const PAUSABLE = new Set<NodeRecord['state']>(['ready', 'running', 'stopping', 'stopped']);

/** Stops every node of the cluster; throws before anything is stopped when a node cannot be. */
export async function pauseCluster(options: PauseOptions): Promise<PauseResult> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    if (state.pause?.phase === 'paused') {
      return { state, stopped: [], terminated: [], alreadyPaused: true };
    }
    checkPausable(state);
    const provider = await deps.createProvider(options.cloud, { storageDir: deps.repo.dir, log: deps.log });
    requireStartStop(provider, state, 'pause');
    const unstoppable = unstoppableNodes(state, provider);
    if (unstoppable.length > 0 && !options.terminateUnstoppable) {
      throw new ProviderError(
        'NodesUnstoppable',
        `Cluster "${name}" cannot be paused as it is: ${unstoppable.map((u) => `${u.node.name} (${u.reason})`).join(', ')}. Nothing was stopped.`,
        {
          hint: `Run "herd pause ${name} --terminate-unstoppable" to terminate those nodes (their data is lost; "herd resize ${name} -a" adds new ones after a resume), or leave the cluster running.`,
        },
      );
    }
    state.pause = { phase: 'pausing', by: state.pause?.by ?? 'user', since: new Date().toISOString() };
    const doomed = unstoppable.map((u) => u.node);
    if (doomed.length > 0) {
      deps.progress.step(`Terminate ${doomed.length} node(s) that cannot be stopped`, 'start');
      await terminateRecorded(deps, state, provider, doomed);
      state.nodes = state.nodes.filter((n) => !doomed.includes(n));
      deps.progress.step(`Terminate ${doomed.length} node(s) that cannot be stopped`, 'done');
    }
    const nodes = state.nodes;
    const title = `Stop ${nodes.length} node(s)`;
    deps.progress.step(title, 'start');
    await deps.repo.save(state);
    // Asked first: a node already stopped or stopping (a pause cut short) is not asked to stop again,
    // which some clouds refuse (Nova answers 409 while a server powers off).
    const ids = nodes.map((n) => n.instanceId!);
    for (const status of await provider.describeNodes(clusterRef(state), ids)) {
      const node = nodes.find((n) => n.instanceId === status.instanceId);
      if (node) applyStatus(node, status);
    }
    const toStop = nodes.filter((n) => n.state === 'ready' || n.state === 'running' || n.state === 'pending');
    for (const n of toStop) n.state = 'stopping';
    await deps.repo.save(state);
    // Closed first: a control master to a node that powers off hangs until its TCP connection times out.
    await deps.closeConnections(name);
    if (toStop.length > 0) {
      await provider.stopNodes!(
        clusterRef(state),
        toStop.map((n) => n.instanceId!),
      );
    }
    await awaitNodeStates({
      deps,
      state,
      provider,
      nodes,
      want: 'stopped',
      timeoutMs: options.timeoutMs ?? 900_000,
      signal: options.signal,
      action: 'pause',
    });
    state.pause = { ...state.pause, phase: 'paused', since: new Date().toISOString() };
    await deps.repo.save(state);
    deps.progress.step(title, 'done');
    return {
      state,
      stopped: nodes.map((n) => n.name),
      terminated: doomed.map((n) => n.name),
      alreadyPaused: false,
    };
  } finally {
    await deps.progress.close();
    await lock.release();
  }
}

/** Every node must have an instance in a state a pause can act on; nodes mid-creation or failed cannot. */
function checkPausable(state: ClusterState): void {
  if (state.nodes.length === 0) {
    throw new ProviderError('NothingToPause', `Cluster "${state.name}" has no node to pause.`, {
      hint: `"herd stop ${state.name}" removes it.`,
    });
  }
  const odd = state.nodes.filter((n) => !n.instanceId || !PAUSABLE.has(n.state));
  if (odd.length === 0) return;
  throw new ProviderError(
    'ClusterNotPausable',
    `Cluster "${state.name}" cannot be paused: ${odd.map((n) => `${n.name} is ${n.state}${n.error ? ` (${n.error})` : ''}`).join(', ')}.`,
    {
      hint: `Finish the start with "herd start ${state.templateName} -n ${state.name}" (it replaces failed nodes), or remove those nodes with "herd remove-node", then pause.`,
    },
  );
}

/** The cluster's nodes whose kind the cloud cannot stop, with the reason. */
function unstoppableNodes(state: ClusterState, provider: Provider): { node: NodeRecord; reason: string }[] {
  const kinds = state.template.kinds.map((k) => ({ kind: k.name, settings: k.settings }));
  const blocked = provider.unstoppableKinds?.(kinds) ?? [];
  return state.nodes.flatMap((node) => {
    const hit = blocked.find((b) => b.kind === node.kind);
    return hit ? [{ node, reason: hit.reason }] : [];
  });
}
