/**
 * The outside world of an orchestration test: a state repository in a temp dir, the in-memory cloud,
 * an SSH waiter that answers for the cloud's running instances, and a setup runner that records
 * each Ansible run. Each can be made to fail; hooks run inside a wait or a run (to press Ctrl-C
 * there). Everything is in memory or in the temp dir: no root, no network, no child process.
 */
import { createHash } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type ClusterDeps, type SetupMarks, silentProgress } from '../../src/cluster/deps.js';
import { AnsibleError } from '../../src/errors.js';
import type { Logger } from '../../src/log.js';
import { canonicalJson, digestedTemplate } from '../../src/setup/setup-digest.js';
import type { SetupRunner } from '../../src/setup/setup-runner.js';
import type { SshWaiter } from '../../src/ssh/ssh-waiter.js';
import { StateRepository } from '../../src/state/index.js';
import { MemoryCloud, type MemoryCloudOptions } from './memory-provider.js';

/** One recorded setup run. */
export interface SetupRun {
  /** The bundled playbook file name (`slurm-drain.yml`), or `site` for the template's own. */
  playbook: string;
  extraVars: Readonly<Record<string, unknown>> | undefined;
  /** The extra ansible-playbook arguments (`--tags addresses`, ...). */
  extraArgs: readonly string[] | undefined;
  /** The nodes in state when it ran, with their states. */
  nodes: string[];
}

/** What a test controls and observes. */
export interface ClusterWorld {
  readonly deps: ClusterDeps;
  readonly cloud: MemoryCloud;
  readonly dir: string;
  /** Node names per SSH wait, in order. */
  readonly probed: string[][];
  /** Nodes (by herd name) that never answer SSH. */
  readonly unreachable: Set<string>;
  /** Runs inside each SSH wait, before it answers. */
  onSsh: (() => void | Promise<void>) | undefined;
  readonly setupRuns: SetupRun[];
  /** Errors the next setup runs throw, in order (consumed one per run). */
  readonly setupFailures: Error[];
  /** Runs inside each setup run, before it ends. */
  onSetup: ((run: SetupRun) => void | Promise<void>) | undefined;
  /** Messages logged, as `level: message`. */
  readonly logged: string[];
  /** The setup mark each node holds (the file on the node), by node name. */
  readonly marks: Map<string, string>;
  /** Replaces the digest of every run (undefined: cannot be told); unset = a hash of template and nodes. */
  digestOverride: { value: string | undefined } | undefined;
  /** Clusters whose SSH connections were closed (at stop). */
  readonly closed: string[];
  /** Removes the temp dir. */
  dispose(): Promise<void>;
}

/** Builds a world; `cloud` options shape the fake cloud, `overrides` replace any dependency. */
export async function clusterWorld(
  options: { cloud?: MemoryCloudOptions; overrides?: Partial<ClusterDeps> } = {},
): Promise<ClusterWorld> {
  const dir = await mkdtemp(join(tmpdir(), 'herd-world-'));
  const cloud = new MemoryCloud(options.cloud);
  const logged: string[] = [];
  const log: Logger = {
    info: (m) => logged.push(`info: ${m}`),
    warn: (m) => logged.push(`warn: ${m}`),
    debug: () => undefined,
  };
  const world: ClusterWorld = {
    cloud,
    dir,
    probed: [],
    unreachable: new Set(),
    onSsh: undefined,
    setupRuns: [],
    setupFailures: [],
    onSetup: undefined,
    logged,
    closed: [],
    marks: new Map(),
    digestOverride: undefined,
    deps: undefined as unknown as ClusterDeps,
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
  const waitForSsh: SshWaiter = async (request) => {
    world.probed.push(request.nodes.map((n) => n.name));
    await world.onSsh?.();
    const outcomes = new Map(request.nodes.map((n) => [n.name, sshOutcome(world, n)]));
    for (const [name, outcome] of outcomes) if (outcome.ok) request.onReady?.(name, outcome.ip);
    return outcomes;
  };
  const runSetup: SetupRunner = async (request) => {
    const run: SetupRun = {
      playbook: request.playbook ? (request.playbook.split('/').pop() ?? '') : 'site',
      extraVars: request.extraVars,
      extraArgs: request.extraArgs,
      nodes: request.state.nodes.map((n) => `${n.name}:${n.state}`),
    };
    world.setupRuns.push(run);
    await world.onSetup?.(run);
    // The real runner kills ansible-playbook on an abort and fails.
    if (request.signal?.aborted) throw new AnsibleError('ansible-playbook was interrupted', []);
    const failure = world.setupFailures.shift();
    if (failure) throw failure;
  };
  const setupMarks: SetupMarks = {
    digest: async (state, template) => {
      if (world.digestOverride) return world.digestOverride.value;
      const rest = digestedTemplate(template);
      const nodes = state.nodes.filter((n) => n.state === 'ready').map((n) => [n.name, n.instanceId]);
      return createHash('sha256').update(canonicalJson({ rest, nodes })).digest('hex');
    },
    read: async (_state, nodes) =>
      new Map(
        nodes.map((n) => [n.name, world.unreachable.has(n.name) ? undefined : world.marks.get(n.name)]),
      ),
    write: async (_state, nodes, mark) => {
      const failed: string[] = [];
      for (const n of nodes) {
        if (world.unreachable.has(n.name)) failed.push(n.name);
        else if (mark === undefined) world.marks.delete(n.name);
        else world.marks.set(n.name, mark);
      }
      return failed;
    },
  };
  (world as { deps: ClusterDeps }).deps = {
    repo: await StateRepository.open(dir),
    createProvider: async () => cloud.provider,
    waitForSsh,
    runSetup,
    setupMarks,
    writeInventory: async () => {},
    writeKnownHosts: async () => {},
    closeConnections: async (cluster) => {
      world.closed.push(cluster);
    },
    generateKeyPair: async (path) => {
      await writeFile(path, 'PRIVATE KEY', { mode: 0o600 });
      await writeFile(`${path}.pub`, 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAITEST herd-test');
    },
    stopOrphanedSetup: async () => {},
    log,
    progress: silentProgress,
    verbosity: 0,
    playbooksDir: '/bundled/playbooks',
    ...options.overrides,
  };
  return world;
}

/** An Ansible failure on `hosts`, as the real runner throws it. */
export function ansibleFailure(hosts: readonly string[]): AnsibleError {
  return new AnsibleError(`ansible-playbook failed on ${hosts.join(', ')}`, hosts);
}

/**
 * A node answers at the first of its IPs that a running instance of the cloud has, with that
 * instance's own host key, unless the test made it unreachable or its pinned key is another one.
 */
function sshOutcome(
  world: ClusterWorld,
  node: { name: string; ips: readonly string[]; pinnedHostKey?: string | undefined },
): { ok: true; ip: string; hostKey: string } | { ok: false; reason: string } {
  if (world.unreachable.has(node.name)) return { ok: false, reason: 'Connection timed out' };
  for (const ip of node.ips) {
    const instance = world.cloud.live().find((i) => i.state === 'running' && i.privateIps.includes(ip));
    if (!instance) continue;
    const hostKey = `ssh-ed25519 HOSTKEY-${instance.instanceId}`;
    if (node.pinnedHostKey && node.pinnedHostKey !== hostKey) {
      return { ok: false, reason: `host key of ${ip} changed` };
    }
    return { ok: true, ip, hostKey };
  }
  return { ok: false, reason: 'Connection refused' };
}

/**
 * An SSH waiter for clouds behind whose instances no machine answers (moto, the GCE and OpenStack
 * fakes): every node is ready at its first IP, answering with `hostKey`.
 */
export function readyAtFirstIp(hostKey = 'ssh-ed25519 AAAA'): SshWaiter {
  return async (request) => {
    const outcomes = new Map(
      request.nodes.map((n) => [n.name, { ok: true as const, ip: n.ips[0]!, hostKey }] as const),
    );
    for (const [name, outcome] of outcomes) request.onReady?.(name, outcome.ip);
    return outcomes;
  };
}
