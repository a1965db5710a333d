/** `herd start`: create (or resume) a cluster from a template, then configure it. */
import type { NodeCount } from '../config/node-counts.js';
import type { Template } from '../config/types.js';
import { assertCanStart } from '../providers/index.js';
import type { Provider } from '../providers/types.js';
import { newClusterId, redactTemplate, validateClusterName } from '../state/index.js';
import { type ClusterState, STATE_VERSION } from '../state/types.js';
import { adoptUnknownNodes } from './adopt.js';
import { configureCluster } from './configure.js';
import type { ClusterDeps } from './deps.js';
import { type GrowResult, growCluster } from './grow.js';
import { ensureKeyPair } from './keys.js';
import { clusterRef, newRunId } from './records.js';
import { desiredCounts, templateForStart } from './template.js';

/** Options of `startCluster`. */
export interface StartOptions {
  readonly deps: ClusterDeps;
  readonly template: Template;
  /** Cluster name (default: the template name). */
  readonly name: string;
  /** `--nodes` overrides. */
  readonly nodeCounts: readonly NodeCount[];
  /** false with `--no-setup`. */
  readonly setup: boolean;
  readonly signal?: AbortSignal | undefined;
}

/** What `start` produced. */
export interface StartResult {
  readonly state: ClusterState;
  readonly resumed: boolean;
  readonly grow: GrowResult;
  readonly setupRan: boolean;
}

/** Starts a cluster, or resumes one that a crash or Ctrl-C left half started (creating only what is missing). */
export async function startCluster(options: StartOptions): Promise<StartResult> {
  const { deps, name } = options;
  validateClusterName(name);
  assertCanStart(options.template.cloud);
  const lock = await deps.repo.lock(name);
  try {
    const existing = await deps.repo.tryLoad(name);
    const template = templateForStart(existing, options.template, name, options.nodeCounts);
    const keys = await ensureKeyPair(template, deps.repo.pathsFor(name), deps.generateKeyPair, name);
    const now = new Date().toISOString();
    const state: ClusterState = existing ?? {
      version: STATE_VERSION,
      name,
      // A new cluster's id goes on everything herd creates for it (see ClusterRef).
      id: newClusterId(),
      templateName: template.name,
      template: redactTemplate(template),
      createdAt: now,
      updatedAt: now,
      nodes: [],
      paths: keys.paths,
    };
    state.template = redactTemplate(template);
    state.paths = keys.paths;
    await deps.repo.save(state);

    const login = {
      user: template.login.imageUser,
      publicKey: keys.publicKey,
      keyName: template.login.userKeyName,
    };
    let provider: Provider | undefined;
    let prepared = false;
    try {
      provider = await deps.createProvider(template.cloud, { storageDir: deps.repo.dir, log: deps.log });
      await provider.prepare(clusterRef(state), login);
      prepared = true;
      await adoptUnknownNodes(state, template, provider, deps);
    } catch (error) {
      if (!existing && state.nodes.length === 0)
        await forgetNewCluster(state, deps, prepared ? provider : undefined);
      throw error;
    }

    const grow = await growCluster({
      deps,
      state,
      template,
      provider,
      desired: desiredCounts(template),
      runId: newRunId(),
      publicKey: keys.publicKey,
      signal: options.signal,
    });
    await deps.progress.close();
    let setupRan = false;
    const needsSetup = options.setup && (grow.ready.length > 0 || !state.setupCompletedAt);
    if (needsSetup && state.nodes.length > 0) {
      await configureCluster({ deps, state, template, signal: options.signal });
      setupRan = true;
    }
    return { state, resumed: existing !== undefined, grow, setupRan };
  } finally {
    await deps.progress.close();
    await lock.release();
  }
}

/**
 * Forgets a new cluster whose start failed before any node was requested (not root, a missing host tool,
 * bad credentials), rather than leaving an empty cluster in `herd list`. Whatever a successful `prepare`
 * made (bridge, security group) is cleaned up first; if that fails, the record stays for `herd stop`.
 */
async function forgetNewCluster(
  state: ClusterState,
  deps: ClusterDeps,
  prepared: Provider | undefined,
): Promise<void> {
  try {
    await prepared?.cleanup(clusterRef(state));
  } catch (cleanupError) {
    deps.log.debug(`Cleanup after the failed start failed too: ${String(cleanupError)}`);
    return;
  }
  await deps.repo.remove(state.name);
}
