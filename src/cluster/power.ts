/** Shared by pause and resume: the provider must stop and start nodes; waiting for the cloud to get there. */
import { AbortError, ProviderError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { applyStatus, clusterRef, sleep } from './records.js';

/** Throws ProviderError `PauseNotSupported` unless the provider can both stop and start nodes. */
export function requireStartStop(
  provider: Provider,
  state: ClusterState,
  action: 'pause' | 'resume',
): asserts provider is Provider & Required<Pick<Provider, 'stopNodes' | 'startNodes'>> {
  if (provider.stopNodes && provider.startNodes) return;
  throw new ProviderError(
    'PauseNotSupported',
    `Cannot ${action} cluster "${state.name}": provider ${provider.name} cannot stop and start nodes.`,
    { hint: `Keep the cluster running, or remove it with "herd stop ${state.name}".` },
  );
}

/** Options of `awaitNodeStates`. */
export interface AwaitOptions {
  readonly deps: ClusterDeps;
  readonly state: ClusterState;
  readonly provider: Provider;
  readonly nodes: readonly NodeRecord[];
  /** The cloud state every node must reach. */
  readonly want: 'stopped' | 'running';
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
  readonly action: 'pause' | 'resume';
}

/**
 * Asks the cloud, one describe call per round (0.5 s to 4 s apart), until every node is in `want`;
 * saves each answer. A node the cloud reports gone, or a timeout, is a ProviderError that says to run
 * the command again (the state keeps the pause record, so it goes on from there).
 */
export async function awaitNodeStates(options: AwaitOptions): Promise<void> {
  const { deps, state, provider, nodes, want, signal, action } = options;
  const deadline = Date.now() + options.timeoutMs;
  let delay = 500;
  for (;;) {
    const statuses = await provider.describeNodes(
      clusterRef(state),
      nodes.map((n) => n.instanceId!),
    );
    for (const status of statuses) {
      const node = nodes.find((n) => n.instanceId === status.instanceId);
      if (node) applyStatus(node, status);
    }
    await deps.repo.save(state);
    const gone = nodes.filter((n) => n.state === 'terminated' || n.state === 'failed');
    if (gone.length > 0) {
      throw new ProviderError(
        'NodesGone',
        `Cannot ${action} cluster "${state.name}": ${gone.map((n) => `${n.name} is ${n.state}${n.error ? ` (${n.error})` : ''}`).join(', ')} on the cloud.`,
        {
          hint: `Remove the lost node(s) from the state with "herd remove-node ${state.name} NODE" after a resume, or "herd stop ${state.name}" to remove the cluster.`,
        },
      );
    }
    const waiting = nodes.filter((n) => n.state !== want && !(want === 'running' && n.state === 'ready'));
    if (waiting.length === 0) return;
    if (signal?.aborted) {
      throw new AbortError(`Interrupted while waiting for ${waiting.length} node(s) to be ${want}.`, {
        hint: `Run "herd ${action} ${state.name}" again to finish.`,
      });
    }
    if (Date.now() > deadline) {
      throw new ProviderError(
        'NodesNotReady',
        `${waiting.map((n) => `${n.name} (${n.state})`).join(', ')} of cluster "${state.name}" did not become ${want} within ${Math.round(options.timeoutMs / 1000)} s.`,
        { hint: `Run "herd ${action} ${state.name}" again to go on waiting.` },
      );
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 4000);
  }
}
