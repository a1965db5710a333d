/** `herd resize` and `herd remove-node`: grow with the start pipeline, shrink by draining then terminating. */
import { join } from 'node:path';
import type { NodeCount } from '../config/node-counts.js';
import { usesBundledPlaybooks } from '../config/resolve-sections.js';
import type { CloudSection, Template } from '../config/types.js';
import { UsageError } from '../errors.js';
import type { Provider } from '../providers/types.js';
import { nodeNumber, redactTemplate, restoreSecrets, type SecretSource } from '../state/index.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import { configureCluster } from './configure.js';
import type { ClusterDeps } from './deps.js';
import { type GrowResult, growCluster } from './grow.js';
import { ensureKeyPair } from './keys.js';
import { assertNotPaused } from './paused.js';
import { clusterRef, isLive, newRunId, providerContextOf } from './records.js';
import { terminateRecorded } from './terminate.js';

/** Ansible groups whose members are Slurm compute nodes (they must be drained before removal). */
const SLURM_WORKER_GROUPS = new Set(['slurm_worker', 'slurm_workers', 'slurm_clients']);

/**
 * Bundled groups whose members need nothing but the new node list when peers come or go (what the master of each
 * recipe needs, it gets in its own full run). Not Grid Engine workers: the master's slot list reads their facts.
 */
const PEER_ONLY_GROUPS = new Set([...SLURM_WORKER_GROUPS, 'ganglia_monitor', 'hpc', 'r']);

/** Options of `resizeCluster`. */
export interface ResizeOptions {
  readonly deps: ClusterDeps;
  readonly name: string;
  /** Live cloud settings (secrets), or the snapshot's. */
  readonly cloud: CloudSection;
  /** The setup's secrets from the configuration (state holds none). */
  readonly secrets?: SecretSource | undefined;
  readonly add: readonly NodeCount[];
  readonly remove: readonly NodeCount[];
  /** Explicit node names to remove (`remove-node`). */
  readonly removeNames?: readonly string[] | undefined;
  readonly setup: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** What resize did. */
export interface ResizeResult {
  readonly state: ClusterState;
  /** False when every count was 0: nothing was asked of the cloud, nor of Ansible. */
  readonly changed: boolean;
  readonly removed: readonly string[];
  readonly grow: GrowResult | undefined;
  readonly setupRan: boolean;
}

/** Removes first (highest-numbered nodes of a kind, drained in Slurm), then adds, then re-runs setup. */
export async function resizeCluster(options: ResizeOptions): Promise<ResizeResult> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    assertNotPaused(state);
    const template: Template = restoreSecrets(
      { ...state.template, cloud: options.cloud },
      options.secrets ?? {},
    );
    const victims = pickVictims(state, options.remove, options.removeNames ?? []);
    for (const { kind } of options.add) {
      if (!template.kinds.some((k) => k.name === kind)) {
        throw new UsageError(
          `-a/--add: cluster "${name}" has no node kind "${kind}"; its kinds are: ${template.kinds.map((k) => k.name).join(', ')}.`,
        );
      }
    }
    // `-a 0:compute` adds nothing: no key pair, no cloud call, no setup run.
    const add = options.add.filter((a) => a.count > 0);
    if (add.length === 0 && victims.length === 0) {
      return { state, changed: false, removed: [], grow: undefined, setupRan: false };
    }
    // Before the cluster changes: the mark its last setup left on every node, for a run narrowed to the nodes
    // whose role changes (the master, new nodes) plus the new node list everywhere else. A cluster never set up
    // holds no mark: its digest is not worth reading the playbook tree for.
    const before =
      options.setup &&
      state.setupCompletedAt !== undefined &&
      usesBundledPlaybooks(template.setup.playbookPath, deps.playbooksDir)
        ? await deps.setupMarks.digest(state, template)
        : undefined;
    const provider = await deps.createProvider(
      template.cloud,
      providerContextOf(state, deps.repo.dir, deps.log),
    );
    if (victims.length > 0) await removeNodes(deps, state, template, provider, victims, options.signal);

    let grow: GrowResult | undefined;
    if (add.length > 0) {
      const keys = await ensureKeyPair(template, deps.repo.pathsFor(name), deps.generateKeyPair, name);
      const desired = new Map<string, number>();
      for (const { kind, count } of add) {
        desired.set(kind, state.nodes.filter((n) => n.kind === kind && isLive(n)).length + count);
      }
      // The new size is part of the intent (saved with it below): a resize cut short is finished by
      // `herd start NAME`, which creates or replaces nodes up to the recorded counts.
      state.template = redactTemplate({
        ...template,
        kinds: template.kinds.map((k) => ({ ...k, count: desired.get(k.name) ?? k.count })),
      });
      await provider.prepare(clusterRef(state), {
        user: template.login.imageUser,
        publicKey: keys.publicKey,
        keyName: template.login.userKeyName,
      });
      grow = await growCluster({
        deps,
        state,
        template,
        provider,
        desired,
        runId: newRunId(),
        publicKey: keys.publicKey,
        signal: options.signal,
      });
    }
    state.template = redactTemplate({
      ...template,
      kinds: template.kinds.map((k) => ({
        ...k,
        count: state.nodes.filter((n) => n.kind === k.name).length,
      })),
    });
    await deps.repo.save(state);
    await deps.progress.close();
    let setupRan = false;
    if (options.setup && state.nodes.some((n) => n.state === 'ready')) {
      const narrow =
        before === undefined ? undefined : { nodes: peerOnlyNodes(state, template, grow), digest: before };
      setupRan = (await configureCluster({ deps, state, template, narrow, signal: options.signal })).ran;
    }
    return { state, changed: true, removed: victims.map((v) => v.name), grow, setupRan };
  } finally {
    await deps.progress.close();
    await lock.release();
  }
}

/**
 * Ready nodes that were there before this resize and whose kind's groups are all peer-only. Slurm workers that keep
 * their own slurm.conf (`slurm_configless` turned off) need the new one: not peer-only then.
 */
function peerOnlyNodes(state: ClusterState, template: Template, grow: GrowResult | undefined): string[] {
  const added = new Set(grow?.ready ?? []);
  // The slurm role's rule (roles/slurm/tasks/main.yml): configless when `auto` (the default) or true/yes/1.
  const keepsOwnSlurmConf = (vars: Readonly<Record<string, string>>) =>
    !['auto', 'true', 'yes', '1'].includes((vars.slurm_configless ?? 'auto').trim().toLowerCase());
  const peerOnlyKinds = new Set(
    template.kinds
      .filter((k) => k.groups.every((g) => PEER_ONLY_GROUPS.has(g)))
      .filter((k) => !(k.groups.some((g) => SLURM_WORKER_GROUPS.has(g)) && keepsOwnSlurmConf(k.vars)))
      .map((k) => k.name),
  );
  return state.nodes
    .filter((n) => n.state === 'ready' && !added.has(n.name) && peerOnlyKinds.has(n.kind))
    .map((n) => n.name);
}

/** Chooses the nodes to remove: the named ones, then the highest-numbered live nodes of each kind. */
export function pickVictims(
  state: ClusterState,
  remove: readonly NodeCount[],
  names: readonly string[],
): NodeRecord[] {
  const victims: NodeRecord[] = [];
  for (const nodeName of names) {
    const node = state.nodes.find((n) => n.name === nodeName);
    if (!node) {
      throw new UsageError(`Cluster "${state.name}" has no node "${nodeName}".`, {
        hint: `Its nodes are: ${state.nodes.map((n) => n.name).join(', ') || '(none)'}. See herd list-nodes ${state.name}.`,
      });
    }
    victims.push(node);
  }
  for (const { kind, count } of remove) {
    const candidates = state.nodes
      .filter((n) => n.kind === kind && !victims.includes(n))
      .sort((a, b) => (nodeNumber(b.name) ?? 0) - (nodeNumber(a.name) ?? 0));
    if (candidates.length < count) {
      throw new UsageError(
        `-r/--remove ${count}:${kind}: cluster "${state.name}" has only ${candidates.length} ${kind} node(s).`,
        { hint: `See herd list-nodes ${state.name}.` },
      );
    }
    victims.push(...candidates.slice(0, count));
  }
  return victims;
}

/** A ready node of a kind in a Slurm worker group: drained before it is removed (once set up). */
export function isSlurmWorker(template: Template, node: NodeRecord): boolean {
  const kind = template.kinds.find((k) => k.name === node.kind);
  return node.state === 'ready' && (kind?.groups.some((g) => SLURM_WORKER_GROUPS.has(g)) ?? false);
}

/** Drains Slurm workers among the victims (when the cluster was set up), then terminates and forgets them. */
async function removeNodes(
  deps: ClusterDeps,
  state: ClusterState,
  template: Template,
  provider: Provider,
  victims: readonly NodeRecord[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const slurmVictims = victims.filter((v) => isSlurmWorker(template, v));
  if (slurmVictims.length > 0 && state.setupCompletedAt) {
    const title = `Drain ${slurmVictims.map((v) => v.name).join(', ')} in Slurm`;
    deps.progress.step(title, 'start');
    await deps.writeKnownHosts(state);
    await deps.writeInventory(state, template);
    try {
      await deps.runSetup({
        state,
        template,
        playbook: join(deps.playbooksDir, 'slurm-drain.yml'),
        extraVars: { herd_remove_nodes: slurmVictims.map((v) => v.name) },
        verbosity: deps.verbosity,
        signal,
        onLine: (line) => deps.progress.output(line),
      });
    } catch (error) {
      deps.progress.step(title, 'failed');
      throw error;
    }
    deps.progress.step(title, 'done');
  }
  await terminateRecorded(deps, state, provider, victims);
  state.nodes = state.nodes.filter((n) => !victims.includes(n));
  for (const v of victims) deps.progress.node(v.name, 'removed');
  await deps.repo.save(state);
}
