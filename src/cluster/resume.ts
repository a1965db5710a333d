/**
 * `herd resume`: start a paused cluster's nodes in one call, wait for SSH with the pinned host keys,
 * take the addresses the cloud gives them now, and run the setup again only when an address changed (of the
 * bundled playbooks only what reads addresses: `/etc/hosts`, Slurm's node lines, the `/home` mount). The
 * intent (`pause.phase = resuming`) is saved before the start call, so a resume cut short is finished by
 * running it again.
 */
import { usesBundledPlaybooks } from '../config/resolve-sections.js';
import type { Template } from '../config/types.js';
import { ProviderError } from '../errors.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import { configureCluster } from './configure.js';
import type { ClusterDeps } from './deps.js';
import { awaitNodeStates, requireStartStop } from './power.js';
import { applyStatus, candidateIps, clusterRef } from './records.js';

/** Options of `resumeCluster`. */
export interface ResumeOptions {
  readonly deps: ClusterDeps;
  readonly name: string;
  /** The template with live cloud settings (secrets included; never saved). */
  readonly template: Template;
  /** Run the setup again when a node's address changed (false: only say so). */
  readonly setup: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** What a resume did. */
export interface ResumeResult {
  readonly state: ClusterState;
  /** Nodes that were started. */
  readonly started: readonly string[];
  /** Nodes whose addresses changed across the pause. */
  readonly addressesChanged: readonly string[];
  /** The setup ran again (because addresses changed). */
  readonly setupRan: boolean;
  /** Nothing was paused or stopped: nothing was done. */
  readonly alreadyRunning: boolean;
}

/** Starts every stopped node; throws (keeping the pause record) when a node does not come back. */
export async function resumeCluster(options: ResumeOptions): Promise<ResumeResult> {
  const { deps, name, template, signal } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    const provider = await deps.createProvider(template.cloud, { storageDir: deps.repo.dir, log: deps.log });
    requireStartStop(provider, state, 'resume');
    const nodes = state.nodes.filter((n) => n.instanceId);
    // A resume cut short may have saved new addresses already: then every address counts as changed.
    const rerun = state.pause?.phase === 'resuming';
    const before = new Map(nodes.map((n) => [n.name, addressesOf(n)]));
    const ref = clusterRef(state);
    const statuses =
      nodes.length > 0
        ? await provider.describeNodes(
            ref,
            nodes.map((n) => n.instanceId!),
          )
        : [];
    for (const status of statuses) {
      const node = nodes.find((n) => n.instanceId === status.instanceId);
      if (node) applyStatus(node, status);
    }
    // A cluster that stopped itself (idle) has no pause record until a command looks at its nodes.
    const down = nodes.filter((n) => n.state === 'stopped' || n.state === 'stopping');
    if (!state.pause && down.length === 0) {
      await deps.repo.save(state);
      return { state, started: [], addressesChanged: [], setupRan: false, alreadyRunning: true };
    }
    state.pause = { phase: 'resuming', by: state.pause?.by ?? 'idle', since: new Date().toISOString() };
    await deps.repo.save(state);
    const title = `Start ${down.length} node(s)`;
    deps.progress.step(title, 'start');
    // A node still powering off cannot be started yet (EC2 refuses a stopping instance).
    const stopping = down.filter((n) => n.state === 'stopping');
    if (stopping.length > 0) {
      await awaitNodeStates({ ...waitArgs(options, state, provider), nodes: stopping, want: 'stopped' });
    }
    if (down.length > 0)
      await provider.startNodes(
        ref,
        down.map((n) => n.instanceId!),
      );
    await awaitNodeStates({ ...waitArgs(options, state, provider), nodes, want: 'running' });
    deps.progress.step(title, 'done');
    await reachNodes(options, state, nodes);
    const addressesChanged = nodes
      .filter((n) => rerun || before.get(n.name) !== addressesOf(n))
      .map((n) => n.name);
    delete state.pause;
    await deps.repo.save(state);
    let setupRan = false;
    if (addressesChanged.length > 0) {
      deps.log.info(`Addresses changed on ${addressesChanged.join(', ')}.`);
      if (options.setup && state.setupCompletedAt) {
        await configureCluster({ deps, state, template, extraArgs: addressesOnly(deps, template), signal });
        setupRan = true;
      } else if (state.setupCompletedAt) {
        deps.log.warn(`Run "herd setup ${name}" so that /etc/hosts and Slurm learn the new addresses.`);
      }
    }
    return { state, started: down.map((n) => n.name), addressesChanged, setupRan, alreadyRunning: false };
  } finally {
    await deps.progress.close();
    await lock.release();
  }
}

function waitArgs(
  options: ResumeOptions,
  state: ClusterState,
  provider: Parameters<typeof awaitNodeStates>[0]['provider'],
) {
  return {
    deps: options.deps,
    state,
    provider,
    timeoutMs: options.template.cluster.startTimeout * 1000,
    signal: options.signal,
    action: 'resume' as const,
  };
}

/**
 * Waits until every node answers SSH with the host key pinned at its creation. A node whose key
 * changed (another machine at its address, or a rebuilt disk) is refused, and the resume fails.
 */
async function reachNodes(
  options: ResumeOptions,
  state: ClusterState,
  nodes: readonly NodeRecord[],
): Promise<void> {
  const { deps, template, signal } = options;
  const outcomes = await deps.waitForSsh({
    nodes: nodes.map((n) => ({
      name: n.name,
      ips: candidateIps(n, template.cluster.sshAddress),
      pinnedHostKey: n.hostKey,
    })),
    user: template.login.imageUser,
    privateKeyPath: state.paths.privateKey,
    deadline: Date.now() + template.cluster.startTimeout * 1000,
    probeTimeoutMs: template.cluster.sshProbeTimeout * 1000,
    proxyCommand: template.cluster.sshProxyCommand,
    signal,
    onReady: (name) => deps.progress.node(name, 'ready'),
  });
  const failed: string[] = [];
  for (const node of nodes) {
    const outcome = outcomes.get(node.name);
    if (outcome?.ok) {
      node.state = 'ready';
      node.preferredIp = outcome.ip;
      node.hostKey ??= outcome.hostKey;
      delete node.error;
    } else {
      node.error = `SSH: ${outcome?.reason ?? 'no answer'}`;
      failed.push(`${node.name}: ${node.error}`);
    }
  }
  await deps.repo.save(state);
  await deps.writeKnownHosts(state);
  if (failed.length > 0) {
    throw new ProviderError(
      'ResumeFailed',
      `Cluster "${state.name}" is running again, but ${failed.length} node(s) do not answer SSH as before:\n  ${failed.join('\n  ')}`,
      {
        hint: `Run "herd resume ${state.name}" again to retry; a node whose host key changed is not the one herd created: remove it with "herd remove-node ${state.name} NODE" after checking.`,
      },
    );
  }
}

/**
 * The bundled playbooks tag what reads node addresses (`/etc/hosts`, Slurm's node lines, the `/home`
 * mount, ...): a resume runs only that. Another playbook is run in full: herd cannot know its tags.
 */
function addressesOnly(deps: ClusterDeps, template: Template): string[] | undefined {
  return usesBundledPlaybooks(template.setup.playbookPath, deps.playbooksDir)
    ? ['--tags', 'addresses']
    : undefined;
}

/** A node's addresses as one comparable string. */
function addressesOf(node: NodeRecord): string {
  return JSON.stringify([node.preferredIp ?? '', [...node.privateIps].sort(), [...node.publicIps].sort()]);
}
