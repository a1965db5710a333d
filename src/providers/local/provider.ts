/**
 * The `local` provider: each node is a Debian 12 system booted with systemd in a systemd-nspawn
 * container, on its own overlay over a shared base image, with its own address on a host bridge.
 * Instance ids are the machine names, `<cluster>-<id>-<node>` (node.ts). `flavor` and
 * `security_group` are ignored (nodes share the host's CPUs and memory; the bridge is private to
 * the host).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import type { CloudSection } from '../../config/types.js';
import { AbortError, ProviderError } from '../../errors.js';
import type {
  ClusterRef,
  CreateNodesRequest,
  CreateNodesResult,
  NodeStatus,
  PreflightReport,
  PreflightRequest,
  Provider,
  ProviderContext,
} from '../types.js';
import { bootNewNode } from './boot.js';
import { NODE_TOOLS, requireRoot, requireTools } from './host.js';
import { ensureHostLimits } from './host-limits.js';
import { ensureImage, imageCacheDir } from './image.js';
import {
  type BridgeNetwork,
  chooseNameserver,
  DEFAULT_RUN_DIR,
  ensureBridge,
  findLease,
  leaseAddress,
  readLeaseFile,
  releaseAddress,
  tearDownIfUnused,
} from './network.js';
import {
  checkNodeRecord,
  clusterDir,
  clusterDirName,
  deathReason,
  isIncomplete,
  isNodeRunning,
  launcherPending,
  launchNode,
  listNodeNames,
  machineNameFor,
  mountNode,
  type NodePaths,
  type NodeRecordFile,
  nodePaths,
  readNodeRecord,
  removeNodeDir,
  shutdownNode,
  writeNodeRecord,
} from './node.js';
import { type NodeIdentity, writeBootFiles, writeFirstBootFiles } from './node-files.js';
import { localPreflight } from './preflight.js';
import {
  isValidMachineName,
  type LocalImageName,
  readImageName,
  readLocalCloudSettings,
} from './settings.js';
import { gatewayOf } from './subnet.js';

/** Knobs for tests; herd itself uses the defaults. */
export interface LocalProviderOptions {
  /** Image cache (default `$HERD_IMAGE_CACHE`, else `<storageDir>/local/images`). */
  imageCacheDir?: string;
  /** Host-wide lease directory (default /run/herd/net). */
  runDir?: string;
  /** How long a node may take to power off before it is killed (default 15 s). */
  stopTimeoutMs?: number;
  /** How long to wait for systemd to start inside a new node (default 30 s). */
  bootTimeoutMs?: number;
}

/** Builds the local provider for a `[cloud/NAME] provider=local` section. */
export async function createLocalProvider(
  cloud: CloudSection,
  context: ProviderContext,
  options: LocalProviderOptions = {},
): Promise<Provider> {
  return new LocalProvider(cloud, context, options);
}

class LocalProvider implements Provider {
  readonly name = 'local' as const;
  private readonly net: BridgeNetwork;
  private readonly cacheDir: string;
  private readonly images = new Map<LocalImageName, Promise<string>>();
  private hostChecked = false;
  private warnedResolver = false;

  constructor(
    private readonly cloud: CloudSection,
    private readonly context: ProviderContext,
    private readonly options: LocalProviderOptions,
  ) {
    const settings = readLocalCloudSettings(cloud);
    this.net = { ...settings, runDir: options.runDir ?? DEFAULT_RUN_DIR, section: `cloud/${cloud.name}` };
    this.cacheDir = options.imageCacheDir ?? imageCacheDir(context.storageDir);
  }

  /** Read-only: host, images and bridge (see preflight.ts). */
  preflight(request: PreflightRequest): Promise<PreflightReport> {
    return localPreflight(request, this.net, this.cacheDir);
  }

  async prepare(): Promise<void> {
    this.checkHost();
    await ensureBridge(this.net, this.context.log);
  }

  async createNodes(request: CreateNodesRequest): Promise<CreateNodesResult> {
    this.checkHost();
    const image = readImageName(request.settings, { cloud: this.cloud.name, kind: request.kind });
    for (const spec of request.nodes) {
      const machine = machineNameFor(request.cluster, spec.name);
      if (!isValidMachineName(machine) || spec.cloudName !== machine) {
        throw new ProviderError(
          'LocalBadMachineName',
          `"${spec.cloudName}" cannot be the machine name of node ${spec.name} (herd derives "${machine}").`,
          {
            hint: 'Cluster and node names may use letters, digits, "-", "_" and "." (at most 64 characters in all).',
          },
        );
      }
    }
    const lowerDir = await this.image(image, request.signal);
    const gateway = await ensureBridge(this.net, this.context.log);
    await this.raiseHostLimits(request.nodes.length, request.nodes.length);
    const nameserver = await this.nameserver(gateway);
    const outcomes = await Promise.allSettled(
      request.nodes.map((spec) => this.createOne(request, spec.name, image, lowerDir, nameserver)),
    );
    const created: (NodeStatus & { name: string })[] = [];
    const failed: { name: string; error: Error }[] = [];
    outcomes.forEach((outcome, i) => {
      const name = request.nodes[i]!.name;
      if (outcome.status === 'fulfilled') created.push({ ...outcome.value, name });
      else
        failed.push({
          name,
          error: outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason)),
        });
    });
    return { created, failed };
  }

  async describeNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<NodeStatus[]> {
    const byMachine = await this.records(cluster);
    return Promise.all(
      instanceIds.map(async (id) => {
        const found = byMachine.get(id);
        if (!found?.record)
          return {
            instanceId: id,
            name: undefined,
            state: 'terminated' as const,
            publicIps: [],
            privateIps: [],
          };
        return this.status(found.record, this.paths(cluster, found.node));
      }),
    );
  }

  async findNodes(cluster: ClusterRef): Promise<NodeStatus[]> {
    const statuses: NodeStatus[] = [];
    for (const [machine, { node, record }] of await this.records(cluster)) {
      if (record) statuses.push(await this.status(record));
      else {
        // A crash between creating the directory and recording the node: still there to remove.
        statuses.push({
          instanceId: machine,
          name: node,
          state: 'error',
          publicIps: [],
          privateIps: [],
          reason: 'incomplete node directory',
        });
      }
    }
    return statuses;
  }

  async terminateNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    this.checkHost();
    const byMachine = await this.records(cluster);
    await Promise.all(
      instanceIds.map(async (id) => {
        const found = byMachine.get(id);
        if (found) await this.destroy(this.paths(cluster, found.node), id, found.record);
      }),
    );
    await tearDownIfUnused(this.net, this.context.log);
  }

  async stopNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    this.checkHost();
    const byMachine = await this.records(cluster);
    await Promise.all(
      instanceIds.map(async (id) => {
        const found = byMachine.get(id);
        if (found?.record)
          await shutdownNode(this.paths(cluster, found.node), found.record, this.options.stopTimeoutMs);
      }),
    );
  }

  async startNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    this.checkHost();
    const byMachine = await this.records(cluster);
    const gateway = await ensureBridge(this.net, this.context.log);
    await this.raiseHostLimits(instanceIds.length, 0); // stopped nodes keep their leases
    const nameserver = await this.nameserver(gateway);
    await Promise.all(
      instanceIds.map(async (id) => {
        const found = byMachine.get(id);
        if (!found?.record) {
          throw new ProviderError(
            'LocalNodeNotFound',
            `Node ${id} of cluster ${cluster.name} does not exist any more; it cannot be started.`,
          );
        }
        await this.boot(this.paths(cluster, found.node), found.record, nameserver);
      }),
    );
  }

  async cleanup(cluster: ClusterRef): Promise<void> {
    this.checkHost();
    const leftovers = await this.findNodes(cluster);
    if (leftovers.length > 0)
      await this.terminateNodes(
        cluster,
        leftovers.map((n) => n.instanceId),
      );
    await rm(clusterDir(this.context.storageDir, clusterDirName(cluster)), { recursive: true, force: true });
    await tearDownIfUnused(this.net, this.context.log);
  }

  private async createOne(
    request: CreateNodesRequest,
    node: string,
    image: LocalImageName,
    lowerDir: string,
    nameserver: string,
  ): Promise<NodeStatus> {
    if (request.signal?.aborted) throw new AbortError(`Not creating ${node}: interrupted.`);
    const { cluster } = request;
    const machine = machineNameFor(cluster, node);
    const paths = this.paths(cluster, node);
    const existing = await this.readRecord(cluster, node);
    const userdata = request.settings.image_userdata;
    const login = {
      user: request.login.user,
      publicKey: request.login.publicKey,
      ...(typeof userdata === 'string' && userdata !== '' ? { userdata } : {}),
    };
    if (existing) {
      // Created by an earlier, interrupted run: reuse it rather than fail. That run may have died
      // before writing the node's first-boot files (they are idempotent): written again before boot.
      if (!isNodeRunning(existing)) await this.boot(paths, existing, nameserver, login);
      return this.status((await this.readRecord(cluster, node)) ?? existing);
    }
    let record: NodeRecordFile | undefined;
    try {
      await mkdir(paths.dir, { recursive: true, mode: 0o700 });
      const ip = await leaseAddress(this.net, { machine, nodeDir: paths.dir }, this.context.log, {
        signal: request.signal,
      });
      record = {
        version: 2,
        complete: false,
        machine,
        cluster: cluster.name,
        ...(cluster.id === undefined ? {} : { clusterId: cluster.id }),
        node,
        kind: request.kind,
        image,
        lowerDir,
        bridge: this.net.bridge,
        ip,
      };
      record = await bootNewNode(
        paths,
        record,
        { ...this.identity(node, ip, nameserver), ...login },
        {
          log: this.context.log,
          bootTimeoutMs: this.options.bootTimeoutMs,
          stopTimeoutMs: this.options.stopTimeoutMs,
        },
      );
      this.context.log.debug(`Started ${machine} at ${ip} (PID ${record.pid}).`, 2);
      return this.status(record);
    } catch (error) {
      await this.destroy(paths, machine, record).catch((cleanupError: unknown) =>
        this.context.log.warn(`Could not clean up ${machine} after a failed start: ${String(cleanupError)}`),
      );
      throw error;
    }
  }

  /**
   * Boots an existing (stopped) node again: same upper dir, same address when still free. With
   * `login`, the node's first-boot files are (re)written too, for a node whose creation was cut short.
   */
  private async boot(
    paths: NodePaths,
    record: NodeRecordFile,
    nameserver: string,
    login?: Pick<NodeIdentity, 'user' | 'publicKey' | 'userdata'>,
  ): Promise<void> {
    if (isNodeRunning(record)) return;
    if (!login && isIncomplete(record)) {
      throw new ProviderError(
        'LocalNodeIncomplete',
        `Node ${record.node} (${record.machine}) was never completely created; it cannot be started as it is.`,
        { hint: `Run "herd start" on the cluster again: it replaces the node.` },
      );
    }
    // A node whose nspawn was killed may have left its init running (and holding its address).
    await shutdownNode(paths, record, this.options.stopTimeoutMs);
    // The node's upper dir belongs to the image it was created from: keep it while it exists.
    const lowerDir =
      record.lowerDir && existsSync(record.lowerDir)
        ? record.lowerDir
        : await this.image(record.image as LocalImageName);
    const ip = await leaseAddress(
      this.net,
      { machine: record.machine, nodeDir: paths.dir },
      this.context.log,
      { preferred: record.ip },
    );
    const next: NodeRecordFile = { ...record, lowerDir, ip, bridge: this.net.bridge };
    await writeNodeRecord(paths, next);
    await mountNode(paths, lowerDir);
    const identity = this.identity(record.node, ip, nameserver);
    if (login) {
      await writeFirstBootFiles(paths.merged, { ...identity, ...login });
      next.complete = true;
    } else await writeBootFiles(paths.merged, { ...identity, user: '', publicKey: '' });
    await launchNode(paths, next, this.options.bootTimeoutMs);
  }

  /** Stops a node if it runs, removes its directory and its lease (`record`: checked, see checkNodeRecord). */
  private async destroy(
    paths: NodePaths,
    machine: string,
    record: NodeRecordFile | undefined,
  ): Promise<void> {
    const known = record;
    if (known) await shutdownNode(paths, known, this.options.stopTimeoutMs);
    await removeNodeDir(paths);
    await releaseAddress({ ...this.net, bridge: known?.bridge ?? this.net.bridge }, machine);
  }

  private identity(node: string, ip: string, nameserver: string): Omit<NodeIdentity, 'user' | 'publicKey'> {
    return {
      hostname: node,
      ip,
      prefix: this.net.subnet.prefix,
      gateway: gatewayOf(this.net.subnet),
      nameserver,
    };
  }

  private async status(record: NodeRecordFile, paths?: NodePaths): Promise<NodeStatus> {
    const leases = await readLeaseFile(this.net.runDir, record.bridge).catch(() => undefined);
    const ip = findLease(leases, record.machine) ?? record.ip;
    const running = isNodeRunning(record);
    // Booting it as it is would give a node without its identity or login key: replaced instead.
    const incomplete = !running && isIncomplete(record);
    // Stopped, but not by herd: its container died (start fails it at once, with these words).
    const died = running || incomplete || !paths ? undefined : await deathReason(paths, record);
    return {
      instanceId: record.machine,
      name: record.node,
      state: running ? 'running' : incomplete ? 'error' : launcherPending(record) ? 'pending' : 'stopped',
      publicIps: [],
      privateIps: [ip],
      ...(incomplete
        ? { reason: 'its creation was cut short before its first-boot files were written' }
        : died
          ? { reason: died }
          : {}),
    };
  }

  private paths(cluster: ClusterRef, node: string): NodePaths {
    return nodePaths(this.context.storageDir, clusterDirName(cluster), node);
  }

  /** A node's `node.json`, checked against what herd derives (throws when it names anything else). */
  private async readRecord(cluster: ClusterRef, node: string): Promise<NodeRecordFile | undefined> {
    const paths = this.paths(cluster, node);
    const record = await readNodeRecord(paths);
    return record && checkNodeRecord(record, paths, { cluster, node });
  }

  /**
   * Machine name -> node directory name and checked record, for every node directory of the cluster.
   * The machine name is always the one herd derives from the cluster and the directory name.
   */
  private async records(
    cluster: ClusterRef,
  ): Promise<Map<string, { node: string; record: NodeRecordFile | undefined }>> {
    const map = new Map<string, { node: string; record: NodeRecordFile | undefined }>();
    for (const node of await listNodeNames(this.context.storageDir, clusterDirName(cluster))) {
      map.set(machineNameFor(cluster, node), { node, record: await this.readRecord(cluster, node) });
    }
    return map;
  }

  private image(image: LocalImageName, signal?: AbortSignal): Promise<string> {
    let pending = this.images.get(image);
    if (!pending) {
      pending = ensureImage(image, {
        cacheDir: this.cacheDir,
        log: this.context.log,
        ...(signal ? { signal } : {}),
      });
      pending.catch(() => this.images.delete(image));
      this.images.set(image, pending);
    }
    return pending;
  }

  private async nameserver(gateway: string): Promise<string> {
    const choice = chooseNameserver(await readFile('/etc/resolv.conf', 'utf8').catch(() => ''), gateway);
    if (choice.loopback && !this.warnedResolver) {
      this.warnedResolver = true;
      this.context.log.warn(
        `The host's nameserver is a loopback address; local nodes use ${gateway} (the bridge) for DNS, which needs a resolver listening there.`,
      );
    }
    return choice.address;
  }

  /**
   * Raises the kernel limits `adding` more nodes need (host-limits.ts); `newLeases` of them take
   * new addresses on the bridge. Kinds are created at once;
   * ensureHostLimits is synchronous, so each call reads what the one before it raised.
   */
  private async raiseHostLimits(adding: number, newLeases: number): Promise<void> {
    const leases = await readLeaseFile(this.net.runDir, this.net.bridge).catch(() => undefined);
    ensureHostLimits({
      adding,
      onBridge: Object.keys(leases?.leases ?? {}).length + newLeases,
      bridge: this.net.bridge,
      log: this.context.log,
    });
  }

  private checkHost(): void {
    if (this.hostChecked) return;
    requireRoot();
    requireTools(NODE_TOOLS);
    this.hostChecked = true;
  }
}
