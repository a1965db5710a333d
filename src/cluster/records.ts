/** Small pure helpers over a cluster's node records. */
import type { Logger } from '../log.js';
import type { ClusterRef, NodeStatus, ProviderContext } from '../providers/types.js';
import type { ClusterState, NodeRecord } from '../state/types.js';

/**
 * The cluster as providers know it: its name and id. An imported cluster is known on the cloud by the
 * name it was exported under (origin), whatever `herd import -n` named it here.
 */
export function clusterRef(state: Pick<ClusterState, 'name' | 'id' | 'origin'>): ClusterRef {
  return { name: state.origin?.name ?? state.name, id: state.id };
}

/**
 * The provider context of an existing cluster: the local provider finds an imported cluster's nodes
 * in the exporting install's storage directory, where they were created.
 */
export function providerContextOf(
  state: Pick<ClusterState, 'origin'>,
  storageDir: string,
  log: Logger,
): ProviderContext {
  return { storageDir: state.origin?.storageDir ?? storageDir, log };
}

/**
 * States in which herd cannot tell what the cloud has (a terminate or stop that was cut short, an
 * answer it could not read): asked again before a start or resize relies on them.
 */
export const UNCERTAIN_STATES: ReadonlySet<NodeRecord['state']> = new Set([
  'terminating',
  'stopping',
  'unknown',
]);

/** Nodes that count towards a kind's size (everything not failed or gone). */
export function isLive(node: NodeRecord): boolean {
  return node.state !== 'failed' && node.state !== 'terminated' && node.state !== 'error';
}

/** Applies a provider status to a record (never downgrades `ready` while the node still runs). */
export function applyStatus(node: NodeRecord, status: NodeStatus): void {
  node.instanceId = status.instanceId;
  node.publicIps = [...status.publicIps];
  node.privateIps = [...status.privateIps];
  if (status.flavor) node.flavor = status.flavor;
  if (status.state === 'running' && node.state === 'ready') return;
  node.state = status.state === 'error' ? 'failed' : status.state;
  if (status.reason) node.error = status.reason;
}

/**
 * Every IP herd may connect to, in the order it should try them: `ssh_address` picks private or
 * public addresses only; `auto` (the default) tries both, private first (same network as herd).
 */
export function candidateIps(node: NodeRecord, sshAddress: 'auto' | 'private' | 'public' = 'auto'): string[] {
  if (sshAddress === 'private') return [...new Set(node.privateIps)];
  if (sshAddress === 'public') return [...new Set(node.publicIps)];
  return [...new Set([...node.privateIps, ...node.publicIps])];
}

/** Nodes of the cluster with the given names, in state order. */
export function nodesNamed(state: ClusterState, names: ReadonlySet<string>): NodeRecord[] {
  return state.nodes.filter((n) => names.has(n.name));
}

/** A short random id for a start/resize run (tags, idempotency tokens). */
export function newRunId(): string {
  return `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
}

/** Resolves after `ms` or when `signal` aborts, whichever comes first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
