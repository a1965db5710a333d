/** The setup stage: inventory, pinned known_hosts, ansible-playbook; skipped when nothing changed. */
import type { Template } from '../config/types.js';
import { AbortError } from '../errors.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { assertNotPaused } from './paused.js';

/** Options of one setup run. */
export interface ConfigureOptions {
  readonly deps: ClusterDeps;
  readonly state: ClusterState;
  readonly template: Template;
  /** Arguments after `--` (the run is never skipped nor recorded then). */
  readonly extraArgs?: readonly string[] | undefined;
  /** Run Ansible even when every node holds this run's digest (`herd setup --force`). */
  readonly force?: boolean | undefined;
  /**
   * A resize's unchanged nodes (bundled playbooks only): those that still hold `digest`, the mark of the last
   * setup before the resize, get only the new node list (`herd_refresh_only`); the others the whole setup.
   */
  readonly narrow?: { readonly nodes: readonly string[]; readonly digest: string } | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** What a setup run did. */
export interface ConfigureResult {
  /** False when every node held the digest of this run's inputs, so Ansible did not run. */
  readonly ran: boolean;
  /** The nodes whose marks were read before deciding, and how long that took (undefined: not read). */
  readonly checked?: { readonly nodes: number; readonly seconds: number } | undefined;
}

/**
 * Writes the inventory and known_hosts, then runs Ansible unless every node recorded this run's
 * digest after its last finished run; records success (in state and on the nodes). Throws
 * AnsibleError on failure.
 */
export async function configureCluster(options: ConfigureOptions): Promise<ConfigureResult> {
  const { deps, state, template, signal } = options;
  assertNotPaused(state);
  await deps.writeKnownHosts(state);
  await deps.writeInventory(state, template);
  const nodes = state.nodes.filter((n) => n.state === 'ready' && n.preferredIp !== undefined);
  // No node holds a mark before the cluster's first finished setup.
  const configured = state.setupCompletedAt !== undefined;
  const narrow = configured ? options.narrow : undefined;
  // Only a plain run is recorded: arguments after `--` (--tags, --check, -e) make it another run. A narrowed run
  // (a resize's) is recorded like a full one: the nodes it gave only the node list are, by the narrowing's rule,
  // where a full run would have left them, so the next resize narrows again and the next setup is skipped.
  const recorded = (options.extraArgs ?? []).length === 0;
  const digest = recorded ? await deps.setupMarks.digest(state, template) : undefined;
  let checked: ConfigureResult['checked'];
  let marks: ReadonlyMap<string, string | undefined> = new Map();
  if (((digest !== undefined && !options.force) || narrow !== undefined) && configured && nodes.length > 0) {
    const started = performance.now();
    marks = await deps.setupMarks.read(state, nodes, signal);
    checked = { nodes: nodes.length, seconds: (performance.now() - started) / 1000 };
    if (digest !== undefined && !options.force && nodes.every((n) => marks.get(n.name) === digest)) {
      return { ran: false, checked };
    }
  }
  const refreshOnly = narrow ? narrow.nodes.filter((n) => marks.get(n) === narrow.digest) : [];
  // A run cut short leaves nodes half-way: no node may claim the last finished run until this one ends.
  if (configured) await forgetMarks(deps, state, nodes, signal);
  const title =
    refreshOnly.length === 0
      ? `Configure ${nodes.length} node(s) with Ansible`
      : `Configure ${nodes.length - refreshOnly.length} node(s) with Ansible (the node list only on ${refreshOnly.length} more)`;
  const extraVars = refreshOnly.length === 0 ? undefined : { herd_refresh_only: refreshOnly };
  await runStep(options, title, extraVars);
  state.setupCompletedAt = new Date().toISOString();
  await deps.repo.save(state);
  if (digest !== undefined) await recordMarks(deps, state, nodes, digest, signal);
  return { ran: true, checked };
}

/** Runs ansible-playbook once, with a progress step around it. */
async function runStep(
  options: ConfigureOptions,
  title: string,
  extraVars: Readonly<Record<string, unknown>> | undefined,
): Promise<void> {
  const { deps, state, template } = options;
  deps.progress.step(title, 'start');
  try {
    await deps.runSetup({
      state,
      template,
      extraVars,
      extraArgs: options.extraArgs,
      verbosity: deps.verbosity,
      signal: options.signal,
      onLine: (line) => deps.progress.output(line),
    });
  } catch (error) {
    deps.progress.step(title, 'failed', error instanceof Error ? error.message.split('\n')[0] : undefined);
    if (options.signal?.aborted) {
      throw new AbortError(`Interrupted while configuring cluster "${state.name}"; its nodes keep running.`, {
        hint: `Run "herd setup ${state.name}" to configure it, or "herd stop ${state.name}" to remove it.`,
        cause: error,
      });
    }
    throw error;
  }
  deps.progress.step(title, 'done');
}

/** Removes the nodes' marks before a run (a node that cannot be reached fails the run anyway). */
async function forgetMarks(
  deps: ClusterDeps,
  state: ClusterState,
  nodes: readonly NodeRecord[],
  signal: AbortSignal | undefined,
): Promise<void> {
  const failed = await deps.setupMarks.write(state, nodes, undefined, signal);
  if (failed.length > 0) deps.log.debug(`Could not remove the setup mark on ${failed.join(', ')}`, 1);
}

/** After a finished run: the digest on every node. */
async function recordMarks(
  deps: ClusterDeps,
  state: ClusterState,
  nodes: readonly NodeRecord[],
  digest: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const failed = await deps.setupMarks.write(state, nodes, digest, signal);
  // Not an error: those nodes are configured; the next `herd setup` runs Ansible on the cluster again.
  if (failed.length > 0) deps.log.debug(`Could not record the setup mark on ${failed.join(', ')}`, 1);
}

/** Options of `herd setup`: configure a saved cluster again. */
export interface SetupClusterOptions {
  readonly deps: ClusterDeps;
  readonly name: string;
  /** The template to configure with, from the saved state (the live cloud section and secrets put back). */
  readonly templateFor: (state: ClusterState) => Promise<Template>;
  readonly extraArgs?: readonly string[] | undefined;
  readonly force?: boolean | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** `herd setup`: holds the cluster's lock while it configures the cluster; returns the state and what ran. */
export async function setupCluster(
  options: SetupClusterOptions,
): Promise<{ state: ClusterState; result: ConfigureResult }> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    const template = await options.templateFor(state);
    const result = await configureCluster({
      deps,
      state,
      template,
      extraArgs: options.extraArgs,
      force: options.force,
      signal: options.signal,
    });
    return { state, result };
  } finally {
    await lock.release();
  }
}
