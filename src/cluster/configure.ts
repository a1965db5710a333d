/** The setup stage: inventory, pinned known_hosts, ansible-playbook. */
import type { Template } from '../config/types.js';
import { AbortError } from '../errors.js';
import type { ClusterState } from '../state/types.js';
import type { ClusterDeps } from './deps.js';

/** Options of one setup run. */
export interface ConfigureOptions {
  readonly deps: ClusterDeps;
  readonly state: ClusterState;
  readonly template: Template;
  readonly extraArgs?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Writes the inventory and known_hosts, runs Ansible and records success. Throws AnsibleError on failure. */
export async function configureCluster(options: ConfigureOptions): Promise<void> {
  const { deps, state, template } = options;
  await deps.writeKnownHosts(state);
  await deps.writeInventory(state, template);
  const title = `Configure ${state.nodes.length} node(s) with Ansible`;
  deps.progress.step(title, 'start');
  try {
    await deps.runSetup({
      state,
      template,
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
  state.setupCompletedAt = new Date().toISOString();
  await deps.repo.save(state);
}

/** Options of `herd setup`: configure a saved cluster again. */
export interface SetupClusterOptions {
  readonly deps: ClusterDeps;
  readonly name: string;
  /** The template to configure with, from the saved state (the live cloud section and secrets put back). */
  readonly templateFor: (state: ClusterState) => Promise<Template>;
  readonly extraArgs?: readonly string[] | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** `herd setup`: holds the cluster's lock while it runs Ansible on every node again; returns the saved state. */
export async function setupCluster(options: SetupClusterOptions): Promise<ClusterState> {
  const { deps, name } = options;
  const lock = await deps.repo.lock(name);
  try {
    const state = await deps.repo.load(name);
    const template = await options.templateFor(state);
    await configureCluster({ deps, state, template, extraArgs: options.extraArgs, signal: options.signal });
    return state;
  } finally {
    await lock.release();
  }
}
