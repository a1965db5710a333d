/**
 * The node pipeline shared by `start` and `resize -a`: record intent, create every kind in one batch,
 * poll until running, wait for SSH, pin host keys and enforce `<kind>_nodes_min`.
 * State is saved before every cloud call and after every change, so a crash at any point leaves a
 * record from which `herd start NAME` resumes and `herd stop NAME` removes everything.
 */
import type { KindSpec, Template } from '../config/types.js';
import { AbortError, HerdError, ProviderError } from '../errors.js';
import type { NodeSpec, Provider } from '../providers/types.js';
import { allocateNodeNames, cloudNameFor } from '../state/index.js';
import type { ClusterState, NodeRecord } from '../state/types.js';
import type { ClusterDeps } from './deps.js';
import { applyStatus, candidateIps, clusterRef, isLive, sleep, UNCERTAIN_STATES } from './records.js';

/** Inputs of one grow run. */
export interface GrowOptions {
  readonly deps: ClusterDeps;
  /** Mutated and saved as the run goes. */
  readonly state: ClusterState;
  /** The template with live cloud settings (secrets included; never saved). */
  readonly template: Template;
  readonly provider: Provider;
  /** Total number of nodes wanted per kind once the run is over. */
  readonly desired: ReadonlyMap<string, number>;
  readonly runId: string;
  readonly publicKey: string;
  readonly signal?: AbortSignal | undefined;
}

/** One run's options plus what it learns: the advice that came with node failures (which key to fix). */
interface Run extends GrowOptions {
  readonly hints: Set<string>;
}

/** What a grow run did. */
export interface GrowResult {
  /** Nodes that became ready in this run. */
  readonly ready: readonly string[];
  /** Failed nodes dropped because their kind still had at least `<kind>_nodes_min` nodes. */
  readonly dropped: readonly { name: string; reason: string }[];
}

/** Runs the pipeline; throws ProviderError `NodesFailed` when a kind ends below its minimum. */
export async function growCluster(options: GrowOptions): Promise<GrowResult> {
  const { deps, state, template, signal } = options;
  const run: Run = { ...options, hints: new Set() };
  const save = saver(deps, state);
  const started = Date.now();
  const deadline = started + template.cluster.startTimeout * 1000;

  await reconcileUncertain(run, save);
  await replaceFailedNodes(run, save);
  const planned = planNodes(state, template, options.desired, options.runId);
  await save();
  const pendingNodes = state.nodes.filter((n) => n.state !== 'ready');
  deps.progress.plan(pendingNodes.map((n) => ({ name: n.name, kind: n.kind })));
  if (planned.length > 0) deps.log.debug(`Creating ${planned.map((n) => n.name).join(', ')}`);
  checkAbort(signal, state);

  await createMissing(run, save);
  checkAbort(signal, state);
  await pollUntilRunning(run, deadline, save);
  checkAbort(signal, state);
  const ready = await waitForSsh(run, deadline, save);
  checkAbort(signal, state);
  const dropped = await enforceMinimums(run, save);
  return { ready, dropped };
}

/** Serialises saves so that the last write always carries the newest state. */
function saver(deps: ClusterDeps, state: ClusterState): () => Promise<void> {
  let chain: Promise<void> = Promise.resolve();
  return () => {
    chain = chain.then(() => deps.repo.save(state));
    return chain;
  };
}

function checkAbort(signal: AbortSignal | undefined, state: ClusterState): void {
  if (signal?.aborted) {
    throw new AbortError(
      `Interrupted: cluster "${state.name}" was saved with ${state.nodes.length} node(s).`,
      {
        hint: `Run "herd start ${state.templateName} -n ${state.name}" to finish it, or "herd stop ${state.name}" to remove it.`,
      },
    );
  }
}

/**
 * Nodes an earlier run left in a state herd cannot rely on (a terminate that failed or was cut short)
 * are asked about: one still running is probed again below, one gone or going is replaced.
 */
async function reconcileUncertain(options: GrowOptions, save: () => Promise<void>): Promise<void> {
  const { state, provider } = options;
  const uncertain = state.nodes.filter((n) => UNCERTAIN_STATES.has(n.state));
  if (uncertain.length === 0) return;
  const ids = uncertain.flatMap((n) => (n.instanceId ? [n.instanceId] : []));
  const statuses = ids.length > 0 ? await provider.describeNodes(clusterRef(state), ids) : [];
  for (const node of uncertain) {
    const status = statuses.find((s) => s.instanceId === node.instanceId);
    if (status) applyStatus(node, status);
    if (!status || UNCERTAIN_STATES.has(node.state)) {
      node.state = 'failed';
      node.error = status ? `the node is ${status.state} on the cloud` : 'no instance on the cloud';
    }
  }
  await save();
}

/** Failed nodes from an earlier run are terminated and forgotten, so the plan replaces them. */
async function replaceFailedNodes(options: GrowOptions, save: () => Promise<void>): Promise<void> {
  const { state, provider, deps } = options;
  const failed = state.nodes.filter((n) => !isLive(n));
  if (failed.length === 0) return;
  const ids = failed.flatMap((n) => (n.instanceId ? [n.instanceId] : []));
  if (ids.length > 0) await provider.terminateNodes(clusterRef(state), ids);
  for (const n of failed) deps.progress.node(n.name, 'removed', 'replacing a node that failed earlier');
  state.nodes = state.nodes.filter((n) => isLive(n));
  await save();
}

/** Adds `creating` records for every missing node (the intent, saved before any cloud call). */
function planNodes(
  state: ClusterState,
  template: Template,
  desired: ReadonlyMap<string, number>,
  runId: string,
): NodeRecord[] {
  const added: NodeRecord[] = [];
  for (const [kind, want] of desired) {
    const have = state.nodes.filter((n) => n.kind === kind && isLive(n)).length;
    if (want <= have) continue;
    if (!template.kinds.some((k) => k.name === kind)) continue;
    const names = allocateNodeNames(
      state.nodes.map((n) => n.name),
      kind,
      want - have,
    );
    for (const name of names) {
      const node: NodeRecord = {
        name,
        kind,
        cloudName: cloudNameFor(clusterRef(state).name, name, state.id),
        state: 'creating',
        publicIps: [],
        privateIps: [],
        runId,
        createdAt: new Date().toISOString(),
      };
      state.nodes.push(node);
      added.push(node);
    }
  }
  return added;
}

function kindSpec(template: Template, kind: string): KindSpec {
  const spec = template.kinds.find((k) => k.name === kind);
  if (!spec) throw new ProviderError('UnknownKind', `The template has no node kind "${kind}".`);
  return spec;
}

/** One createNodes call per kind, all kinds at once. */
async function createMissing(options: Run, save: () => Promise<void>): Promise<void> {
  const { state, template, provider, deps, signal } = options;
  const toCreate = state.nodes.filter((n) => n.state === 'creating' && !n.instanceId);
  const kinds = [...new Set(toCreate.map((n) => n.kind))];
  await Promise.all(
    kinds.map(async (kind) => {
      const batch = toCreate.filter((n) => n.kind === kind);
      const specs: NodeSpec[] = batch.map((n) => ({ name: n.name, cloudName: n.cloudName }));
      for (const n of batch) deps.progress.node(n.name, 'creating');
      try {
        const result = await provider.createNodes({
          cluster: clusterRef(state),
          runId: options.runId,
          template: state.templateName,
          kind,
          nodes: specs,
          settings: kindSpec(template, kind).settings,
          login: {
            user: template.login.imageUser,
            publicKey: options.publicKey,
            keyName: template.login.userKeyName,
          },
          // Idle auto-stop powers nodes off from inside: what they become then is set at creation (EC2).
          ...(template.cluster.idleStopMinutes
            ? { shutdownAction: template.cluster.idleAction ?? 'stop' }
            : {}),
          signal,
        });
        for (const created of result.created) {
          const node = batch.find((n) => n.name === created.name);
          if (node) applyStatus(node, created);
        }
        for (const { name, error } of result.failed) {
          const node = batch.find((n) => n.name === name);
          if (!node) continue;
          if (error instanceof HerdError && error.hint) options.hints.add(error.hint);
          node.state = 'failed';
          node.error = error.message;
          deps.progress.node(name, 'failed', error.message);
        }
      } catch (error) {
        // Interrupted: keep the intent records; the next start or stop finds what was created by tag.
        if (signal?.aborted) return save();
        const reason = error instanceof Error ? error.message : String(error);
        if (error instanceof HerdError && error.hint) options.hints.add(error.hint);
        for (const n of batch) {
          if (n.instanceId) continue;
          n.state = 'failed';
          n.error = reason;
          deps.progress.node(n.name, 'failed', reason);
        }
      }
      await save();
    }),
  );
}

/** One describe call per round for the whole cluster, backing off from 0.5 s to 4 s. */
async function pollUntilRunning(
  options: GrowOptions,
  deadline: number,
  save: () => Promise<void>,
): Promise<void> {
  const { state, provider, deps, signal } = options;
  const stopped = state.nodes.filter((n) => n.state === 'stopped' && n.instanceId);
  if (stopped.length > 0) {
    if (!provider.startNodes) {
      throw new ProviderError(
        'StartNotSupported',
        `${stopped.map((n) => n.name).join(', ')} of cluster ${state.name} are stopped, and provider ${provider.name} cannot start stopped nodes.`,
        { hint: `Start them in the cloud's console, or remove them with \`herd resize ${state.name} -r\`.` },
      );
    }
    await provider.startNodes(
      clusterRef(state),
      stopped.map((n) => n.instanceId!),
    );
  }
  let delay = 500;
  for (;;) {
    const waiting = state.nodes.filter(
      (n) => n.instanceId && (n.state === 'creating' || n.state === 'pending' || n.state === 'stopped'),
    );
    const reported = state.nodes.filter((n) => n.state === 'running');
    for (const n of reported) deps.progress.node(n.name, 'running');
    if (waiting.length === 0 || signal?.aborted) return;
    if (Date.now() > deadline) {
      for (const n of waiting) {
        n.state = 'failed';
        n.error = `not running after start_timeout (${options.template.cluster.startTimeout} s)`;
        deps.progress.node(n.name, 'failed', n.error);
      }
      await save();
      return;
    }
    await sleep(delay, signal);
    delay = Math.min(delay * 2, 4000);
    const statuses = await provider.describeNodes(
      clusterRef(state),
      waiting.map((n) => n.instanceId!),
    );
    for (const status of statuses) {
      const node = waiting.find((n) => n.instanceId === status.instanceId);
      if (!node) continue;
      applyStatus(node, status);
      // Stopped with a reason: it died on its own (a local container that exited, an instance that
      // shut down); it will not come up by waiting.
      const died = node.state === 'stopped' && status.reason !== undefined;
      if (node.state === 'terminated' || node.state === 'failed' || died) {
        node.state = 'failed';
        node.error = status.reason ?? `the node is ${status.state} on the cloud`;
        deps.progress.node(node.name, 'failed', node.error);
      }
    }
    await save();
  }
}

/** Probes every running node; the first IP that answers becomes preferred and its host key is pinned. */
async function waitForSsh(
  options: GrowOptions,
  deadline: number,
  save: () => Promise<void>,
): Promise<string[]> {
  const { state, template, deps, signal } = options;
  const running = state.nodes.filter((n) => n.state === 'running');
  if (running.length === 0) return [];
  const watch = watchForDeadNodes(options, running);
  const outcomes = await waitOrAbort(state, signal, () =>
    deps.waitForSsh({
      nodes: running.map((n) => ({
        name: n.name,
        ips: candidateIps(n, template.cluster.sshAddress),
        pinnedHostKey: n.hostKey,
      })),
      user: template.login.imageUser,
      privateKeyPath: state.paths.privateKey,
      deadline,
      probeTimeoutMs: template.cluster.sshProbeTimeout * 1000,
      proxyCommand: template.cluster.sshProxyCommand,
      signal,
      onReady: (name) => {
        watch.answered.add(name);
        deps.progress.node(name, 'ready');
      },
      nodeGone: (name) => watch.gone.get(name),
    }),
  ).finally(() => watch.stop());
  const ready: string[] = [];
  for (const node of running) {
    const outcome = outcomes.get(node.name);
    if (outcome?.ok) {
      node.state = 'ready';
      node.preferredIp = outcome.ip;
      node.hostKey = outcome.hostKey;
      delete node.error;
      ready.push(node.name);
    } else if (!signal?.aborted || outcome) {
      node.state = 'failed';
      node.error = watch.gone.get(node.name) ?? `SSH: ${outcome?.reason ?? 'no answer'}`;
      deps.progress.node(node.name, 'failed', node.error);
    }
  }
  await save();
  await deps.writeKnownHosts(state);
  return ready;
}

/** What {@link watchForDeadNodes} learns while the SSH wait runs. */
interface DeadNodeWatch {
  /** Node name -> why it will never answer. */
  readonly gone: Map<string, string>;
  /** Nodes that answered SSH (no longer asked about). */
  readonly answered: Set<string>;
  /** Ends the watch (and waits for a describe call in flight). */
  stop(): Promise<void>;
}

/**
 * While nodes are probed, asks the provider about those that have not answered yet (one describe
 * call per round for all of them, every 1 s backing off to 5 s). A node that is gone, stopped with a
 * reason or in error died while booting: it is failed at once with the provider's reason (a local
 * node: its console's last lines) instead of being probed until `start_timeout`.
 */
function watchForDeadNodes(options: GrowOptions, nodes: readonly NodeRecord[]): DeadNodeWatch {
  const { state, provider, deps } = options;
  const gone = new Map<string, string>();
  const answered = new Set<string>();
  const stopper = new AbortController();
  const loop = (async () => {
    let delay = 1000;
    for (;;) {
      await sleep(delay, stopper.signal);
      if (stopper.signal.aborted) return;
      delay = Math.min(delay * 2, 5000);
      const waiting = nodes.filter((n) => n.instanceId && !answered.has(n.name) && !gone.has(n.name));
      if (waiting.length === 0) return;
      let statuses: Awaited<ReturnType<Provider['describeNodes']>>;
      try {
        statuses = await provider.describeNodes(
          clusterRef(state),
          waiting.map((n) => n.instanceId!),
        );
      } catch (error) {
        deps.log.debug(`Checking the booting nodes failed (the SSH wait goes on): ${String(error)}`);
        continue;
      }
      for (const status of statuses) {
        const node = waiting.find((n) => n.instanceId === status.instanceId);
        if (!node) continue;
        const dead =
          status.state === 'terminated' ||
          status.state === 'error' ||
          (status.state === 'stopped' && status.reason !== undefined);
        if (dead) gone.set(node.name, status.reason ?? `the node is ${status.state} on the cloud`);
      }
    }
  })();
  return {
    gone,
    answered,
    stop: async () => {
      stopper.abort();
      await loop;
    },
  };
}

/** Runs `wait`; an interruption becomes the AbortError that says how to resume or remove the cluster. */
async function waitOrAbort<T>(
  state: ClusterState,
  signal: AbortSignal | undefined,
  wait: () => Promise<T>,
): Promise<T> {
  try {
    return await wait();
  } catch (error) {
    checkAbort(signal, state);
    throw error;
  }
}

/** Drops failed nodes of kinds that still meet their minimum; fails if any kind is below it. */
async function enforceMinimums(
  options: Run,
  save: () => Promise<void>,
): Promise<{ name: string; reason: string }[]> {
  const { state, template, provider, deps, desired } = options;
  const dropped: { name: string; reason: string }[] = [];
  const shortfalls: string[] = [];
  for (const [kind, want] of desired) {
    const failed = state.nodes.filter((n) => n.kind === kind && n.state === 'failed');
    if (failed.length === 0) continue;
    const ready = state.nodes.filter((n) => n.kind === kind && n.state === 'ready').length;
    const min = Math.min(kindSpec(template, kind).min, want);
    const reasons = failed.map((n) => `${n.name}: ${n.error ?? 'failed'}`);
    if (ready >= min) {
      const ids = failed.flatMap((n) => (n.instanceId ? [n.instanceId] : []));
      if (ids.length > 0) await provider.terminateNodes(clusterRef(state), ids);
      state.nodes = state.nodes.filter((n) => !failed.includes(n));
      for (const n of failed) {
        dropped.push({ name: n.name, reason: n.error ?? 'failed' });
        deps.progress.node(n.name, 'removed', 'terminated: its kind still has enough nodes');
      }
      deps.log.warn(
        `${kind}: ${ready} of ${want} nodes came up (minimum ${min}); removed ${failed.length} failed node(s): ${reasons.join('; ')}`,
      );
    } else {
      shortfalls.push(
        `${kind}: ${ready} of ${want} nodes ready, minimum ${min}. Failed: ${reasons.join('; ')}`,
      );
    }
  }
  await save();
  if (shortfalls.length > 0) {
    const advice = [...options.hints].map((h) => `${h}\n`).join('');
    throw new ProviderError('NodesFailed', `Not enough nodes came up.\n  ${shortfalls.join('\n  ')}`, {
      hint: `${advice}Fix the cause, then "herd start ${state.templateName} -n ${state.name}" replaces the failed nodes; "herd stop ${state.name}" removes the cluster. Set <kind>_nodes_min to accept fewer nodes.`,
    });
  }
  return dropped;
}
