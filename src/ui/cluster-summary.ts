/** Text views of a cluster, in the shape ElastiCluster users know (`start` summary, `list`, `list-nodes`). */
import { pauseLabel } from '../cluster/paused.js';
import type { StopPlan } from '../cluster/stop.js';
import type { ClusterState, NodeRecord } from '../state/types.js';

/** Node counts per kind, in template kind order (kinds with no node left are shown with 0). */
export function countsByKind(state: ClusterState): { kind: string; count: number }[] {
  const kinds = new Set([...state.template.kinds.map((k) => k.name), ...state.nodes.map((n) => n.kind)]);
  return [...kinds].map((kind) => ({ kind, count: state.nodes.filter((n) => n.kind === kind).length }));
}

/**
 * Said before `herd stop` on a cluster that was exported or imported: another install may hold a copy
 * that manages the same instances. Undefined for a cluster that never was.
 */
export function sharedClusterWarning(
  state: Pick<ClusterState, 'name' | 'exportedAt' | 'origin'>,
): string | undefined {
  if (state.origin) {
    return `Cluster "${state.name}" was imported (exported as "${state.origin.name}" from ${state.origin.storageDir} at ${state.origin.exportedAt}): the exporting install still lists it, and its nodes are the same ones; stopping here terminates them for every copy.`;
  }
  if (state.exportedAt) {
    return `Cluster "${state.name}" was exported at ${state.exportedAt}: a copy imported from that archive manages the same nodes; stopping here terminates them for every copy.`;
  }
  return undefined;
}

/** The question `herd stop` asks: every instance it will terminate, by node name and instance id. */
export function stopQuestion(plan: StopPlan): string {
  const { cluster, instances, unlaunched } = plan;
  const id = cluster.id === undefined ? '' : ` (id ${cluster.id})`;
  const lines = [
    `Terminate ${instances.length} node(s) of cluster "${cluster.name}"${id}? Their data is lost.`,
    ...instances.map(
      (i) =>
        `  ${i.node ?? '(no node name)'}  ${i.instanceId}${i.inState ? '' : '  (found on the cloud, not in the state file)'}`,
    ),
  ];
  if (unlaunched.length > 0) {
    lines.push(`  and forget ${unlaunched.join(', ')} (never reached the cloud)`);
  }
  return lines.join('\n');
}

/** The summary printed after start/resize and at the top of list-nodes. */
export function renderClusterSummary(state: ClusterState, target: NodeRecord | undefined): string[] {
  const lines = [
    `Cluster name:     ${state.name}`,
    `Cluster template: ${state.templateName}`,
    `Cloud:            ${state.template.cloud.name} (${state.template.cloud.provider})`,
    `Frontend node:    ${target?.name ?? '(none)'}`,
    ...(state.pause ? [`Status:           ${pauseLabel(state)} since ${state.pause.since}`] : []),
    ...countsByKind(state).map(({ kind, count }) => `- ${kind} nodes: ${count}`),
    '',
  ];
  if (state.pause) {
    lines.push('The cluster is paused. To start its nodes again, run:', '', `    herd resume ${state.name}`);
    return lines;
  }
  if (!target) {
    // Nothing to log in to yet: say how to get there instead of offering a command that fails.
    lines.push(
      'No node answers SSH yet. To finish starting the cluster, run:',
      '',
      `    herd start ${state.templateName} -n ${state.name}`,
    );
    return lines;
  }
  lines.push(
    'To login on the frontend node, run the command:',
    '',
    `    herd ssh ${state.name}`,
    '',
    'To upload or download files to the cluster, use the command:',
    '',
    `    herd sftp ${state.name}`,
  );
  return lines;
}

/** One block per node for list-nodes. */
export function renderNodes(state: ClusterState): string[] {
  const lines: string[] = [];
  for (const { kind } of countsByKind(state)) {
    const nodes = state.nodes.filter((n) => n.kind === kind);
    if (nodes.length === 0) continue;
    lines.push('', `${kind} nodes:`, '');
    for (const n of nodes) {
      lines.push(`- ${n.name}`);
      lines.push(`  state:        ${n.state}${n.error ? ` (${n.error})` : ''}`);
      lines.push(`  preferred IP: ${n.preferredIp ?? '-'}`);
      lines.push(`  public IP:    ${n.publicIps.join(', ') || '-'}`);
      lines.push(`  private IP:   ${n.privateIps.join(', ') || '-'}`);
      lines.push(`  instance id:  ${n.instanceId ?? '-'}`);
      if (n.flavor) lines.push(`  flavor:       ${n.flavor}`);
    }
  }
  return lines;
}
