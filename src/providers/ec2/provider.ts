/**
 * The `ec2_boto` provider: Amazon EC2 or any EC2-compatible endpoint (`ec2_url`). One RunInstances per
 * kind (and subnet, on failover), one DescribeInstances per describe/find, every resource tagged with the
 * cluster's name and id at creation so that `stop` finds whatever a crash left behind, and never what
 * a cluster of the same name in another storage directory created (tags.ts decides what is ours).
 */
import type { Instance } from '@aws-sdk/client-ec2';
import type { CloudSection, NodeSettings } from '../../config/types.js';
import { AbortError, ProviderError } from '../../errors.js';
import { ForeignResources } from '../identity.js';
import type {
  ClusterRef,
  CreateNodesRequest,
  CreateNodesResult,
  NodeStatus,
  PreflightReport,
  PreflightRequest,
  Provider,
  ProviderContext,
  UnstoppableKind,
} from '../types.js';
import { type Ec2Api, ec2ApiOf } from './api.js';
import { createEc2Client, type Ec2ClientOptions } from './client.js';
import { type ErrorContext, isInstanceNotFound, toProviderError } from './errors.js';
import { ensureFloatingIps, releaseFloatingIps } from './floating-ip.js';
import { deleteClusterKeyPairs } from './key-pair.js';
import { launchWithFailover, tagBatch } from './launch.js';
import { ec2Preflight } from './preflight.js';
import { Ec2Resources, keyNameOf } from './resources.js';
import { needsRootDevice } from './run-request.js';
import { deleteClusterSecurityGroups } from './security-group.js';
import { type Ec2CloudSettings, isSpotKind, readEc2CloudSettings, readEc2KindSettings } from './settings.js';
import { LIVE_STATES, statusOf } from './status.js';
import { clusterNameFilter, describeForeign, isOurs } from './tags.js';

/** Knobs for tests; herd itself uses the defaults. */
export interface Ec2ProviderOptions extends Ec2ClientOptions {
  /** Replaces the SDK client (unit tests). */
  api?: Ec2Api;
  /** How long `cleanup` retries deleting a security group still in use (default 180 s). */
  securityGroupDeleteTimeoutMs?: number;
  /** First pause between those retries (default 5 s). */
  securityGroupDeleteIntervalMs?: number;
  /** Parallel CreateTags calls after a multi-node launch (default 8). */
  tagConcurrency?: number;
  /** How long an instance this process created counts as pending while EC2 does not list it (default 60 s). */
  consistencyWindowMs?: number;
}

/** Above this many ids, describeNodes lists the cluster by tag instead of filtering by id. */
const MAX_ID_FILTER = 200;

/** Builds the EC2 provider for a `[cloud/NAME] provider=ec2_boto` section. */
export async function createEc2Provider(
  cloud: CloudSection,
  context: ProviderContext,
  options: Ec2ProviderOptions = {},
): Promise<Provider> {
  const settings = readEc2CloudSettings(cloud);
  return new Ec2Provider(
    settings,
    context,
    options.api ?? ec2ApiOf(createEc2Client(settings, options)),
    options,
  );
}

class Ec2Provider implements Provider {
  readonly name = 'ec2_boto' as const;
  /** Instances this process launched, with when: EC2 may not list them for a few seconds. */
  private readonly launched = new Map<string, number>();
  private readonly resources: Ec2Resources;
  private readonly foreign: ForeignResources;

  constructor(
    private readonly cloud: Ec2CloudSettings,
    private readonly context: ProviderContext,
    private readonly api: Ec2Api,
    private readonly options: Ec2ProviderOptions,
  ) {
    this.resources = new Ec2Resources(api, cloud, context.log);
    this.foreign = new ForeignResources(context.log);
  }

  /** Read-only: Describe* calls only (see preflight.ts). */
  preflight(request: PreflightRequest): Promise<PreflightReport> {
    return ec2Preflight(this.api, this.cloud, request);
  }

  async prepare(cluster: ClusterRef, login: CreateNodesRequest['login']): Promise<void> {
    await this.resources.keyPair(cluster, login);
  }

  async createNodes(request: CreateNodesRequest): Promise<CreateNodesResult> {
    const { cluster, kind, signal } = request;
    // Messages point at the template's section; tags and resource names use the cluster name and id.
    const section = request.template;
    const ctx: ErrorContext = {
      cloud: this.cloud,
      action: 'RunInstances',
      cluster: section,
      kind,
      keyName: keyNameOf(cluster, request.login),
    };
    let launched: Awaited<ReturnType<typeof launchWithFailover>>;
    try {
      const settings = readEc2KindSettings(request.settings, this.cloud, { cluster: section, kind });
      ctx.settings = settings;
      const keyName = await this.resources.keyPair(cluster, request.login, signal);
      const network = await this.resources.network(settings, section, signal);
      const groupId = await this.resources.securityGroup(cluster, settings, network.vpcId, signal, section);
      const rootDevice = needsRootDevice(settings)
        ? (settings.bootDisk.device ?? (await this.resources.rootDevice(settings.imageId, signal)))
        : undefined;
      launched = await launchWithFailover(
        this.api,
        {
          cluster,
          runId: request.runId,
          kind,
          nodes: request.nodes,
          settings,
          keyName,
          securityGroupId: groupId,
          rootDevice,
          shutdownAction: request.shutdownAction,
        },
        network.subnets,
        this.context.log,
        signal,
      );
    } catch (error) {
      if (error instanceof AbortError || signal?.aborted)
        throw error instanceof AbortError ? error : new AbortError();
      const mapped = toProviderError(error, ctx);
      return { created: [], failed: request.nodes.map((n) => ({ name: n.name, error: mapped })) };
    }
    const now = Date.now();
    for (const { instance } of launched.instances) this.launched.set(instance.InstanceId!, now);
    this.context.log.debug(
      `Launched ${launched.instances.length} ${kind} instance(s)${launched.subnetId ? ` in ${launched.subnetId}` : ''}: ${launched.instances.map((l) => l.instance.InstanceId).join(', ')}`,
    );
    await tagBatch(this.api, launched, this.context.log, this.options.tagConcurrency ?? 8);
    const created = launched.instances.map(({ node, instance }) => ({
      ...statusOf(instance, now),
      name: node.name,
    }));
    const missing = request.nodes.filter((n) => !created.some((c) => c.name === n.name));
    return {
      created,
      failed: missing.map((n) => ({
        name: n.name,
        error: new ProviderError(
          'Ec2InstanceMissing',
          `RunInstances answered without an instance for ${n.name}.`,
        ),
      })),
    };
  }

  async describeNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<NodeStatus[]> {
    if (instanceIds.length === 0) return [];
    const ids = [...new Set(instanceIds)];
    const instances = await this.call('DescribeInstances', () =>
      this.api.describeInstances({
        Filters:
          ids.length <= MAX_ID_FILTER ? [{ Name: 'instance-id', Values: ids }] : [clusterNameFilter(cluster)],
      }),
    );
    // Another cluster's instance is no status of ours, whatever id state holds for it.
    const byId = new Map(instances.filter((i) => isOurs(i.Tags, cluster)).map((i) => [i.InstanceId!, i]));
    if (this.cloud.requestFloatingIp) await this.addFloatingIps(cluster, [...byId.values()]);
    const window = this.options.consistencyWindowMs ?? 60_000;
    return instanceIds.map((id) => {
      const instance = byId.get(id);
      if (instance) return statusOf(instance);
      const recent = Date.now() - (this.launched.get(id) ?? 0) < window;
      return {
        instanceId: id,
        name: undefined,
        state: recent ? 'pending' : 'terminated',
        publicIps: [],
        privateIps: [],
      };
    });
  }

  async findNodes(cluster: ClusterRef): Promise<NodeStatus[]> {
    const instances = await this.call('DescribeInstances', () =>
      this.api.describeInstances({
        Filters: [clusterNameFilter(cluster), { Name: 'instance-state-name', Values: [...LIVE_STATES] }],
      }),
    );
    this.reportForeign(cluster, instances);
    return instances.filter((i) => isOurs(i.Tags, cluster)).map((i) => statusOf(i));
  }

  async terminateNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    let remaining = await this.ownInstanceIds(cluster, instanceIds);
    while (remaining.length > 0) {
      try {
        await this.api.terminateInstances({ InstanceIds: remaining });
        break;
      } catch (error) {
        // EC2 refuses the whole call when one id is unknown: drop the ids it names and go on.
        const gone = isInstanceNotFound(error)
          ? remaining.filter((id) => (error as Error).message.includes(id))
          : [];
        if (gone.length === 0)
          throw toProviderError(error, {
            cloud: this.cloud,
            action: 'TerminateInstances',
            cluster: cluster.name,
          });
        this.context.log.debug(`Already gone: ${gone.join(', ')}`);
        remaining = remaining.filter((id) => !gone.includes(id));
      }
    }
    for (const id of instanceIds) this.launched.delete(id);
    if (this.cloud.requestFloatingIp)
      await releaseFloatingIps(this.api, cluster, this.context.log, new Set(instanceIds));
  }

  async stopNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    const ids = await this.ownInstanceIds(cluster, instanceIds);
    if (ids.length === 0) return;
    await this.call('StopInstances', () => this.api.stopInstances({ InstanceIds: ids }), cluster.name);
  }

  /** herd's spot instances are one-time requests, which EC2 cannot stop (only terminate). */
  unstoppableKinds(kinds: readonly { kind: string; settings: Readonly<NodeSettings> }[]): UnstoppableKind[] {
    return kinds.flatMap(({ kind, settings }) =>
      isSpotKind(settings, this.cloud)
        ? [{ kind, reason: 'a one-time spot instance: EC2 can terminate it but not stop it' }]
        : [],
    );
  }

  async startNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    const ids = await this.ownInstanceIds(cluster, instanceIds);
    if (ids.length === 0) return;
    await this.call('StartInstances', () => this.api.startInstances({ InstanceIds: ids }), cluster.name);
  }

  async cleanup(cluster: ClusterRef): Promise<void> {
    const log = this.context.log;
    const addresses = await this.call(
      'ReleaseAddress',
      () => releaseFloatingIps(this.api, cluster, log),
      cluster.name,
    );
    const keys = await this.call(
      'DeleteKeyPair',
      () => deleteClusterKeyPairs(this.api, cluster),
      cluster.name,
    );
    const groups = await this.call(
      'DeleteSecurityGroup',
      () =>
        deleteClusterSecurityGroups(this.api, cluster, log, {
          timeoutMs: this.options.securityGroupDeleteTimeoutMs ?? 180_000,
          intervalMs: this.options.securityGroupDeleteIntervalMs ?? 5_000,
          region: this.cloud.region,
        }),
      cluster.name,
    );
    this.resources.forget();
    const removed = [
      ...addresses.map((a) => `Elastic IP ${a}`),
      ...keys.map((k) => `key pair ${k}`),
      ...groups.map((g) => `security group ${g}`),
    ];
    if (removed.length > 0) log.debug(`Removed ${removed.join(', ')}.`);
  }

  /** Runs one EC2 call, turning its failure into a ProviderError that says what to do. */
  private async call<T>(action: string, fn: () => Promise<T>, cluster?: string): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw toProviderError(error, { cloud: this.cloud, action, ...(cluster ? { cluster } : {}) });
    }
  }

  /**
   * The ids among `instanceIds` that are instances of this cluster, in one DescribeInstances: another
   * cluster's instance (an id a state file holds by mistake or by hand) is never stopped, started or
   * terminated, but named in a warning. Ids EC2 no longer knows are left out (nothing to do).
   */
  private async ownInstanceIds(cluster: ClusterRef, instanceIds: readonly string[]): Promise<string[]> {
    const ids = [...new Set(instanceIds)];
    if (ids.length === 0) return [];
    const instances: Instance[] = [];
    for (let i = 0; i < ids.length; i += MAX_ID_FILTER) {
      const chunk = ids.slice(i, i + MAX_ID_FILTER);
      instances.push(
        ...(await this.call('DescribeInstances', () =>
          this.api.describeInstances({ Filters: [{ Name: 'instance-id', Values: chunk }] }),
        )),
      );
    }
    const foreign = instances.filter((i) => !isOurs(i.Tags, cluster));
    if (foreign.length > 0) {
      this.foreign.report(
        cluster,
        'instance(s) named for herd to act on',
        foreign.map((i) => ({ key: i.InstanceId!, text: describeForeign(i.InstanceId!, i.Tags) })),
      );
    }
    const listed = new Set(instances.map((i) => i.InstanceId!));
    const recent = (id: string) =>
      Date.now() - (this.launched.get(id) ?? 0) < (this.options.consistencyWindowMs ?? 60_000);
    // An instance this process just launched may not be listed yet: it is ours all the same.
    return ids.filter(
      (id) =>
        (listed.has(id) && !foreign.some((f) => f.InstanceId === id)) || (!listed.has(id) && recent(id)),
    );
  }

  /** Warns about listed instances that carry the cluster's name but are another cluster's. */
  private reportForeign(cluster: ClusterRef, instances: readonly Instance[]): void {
    const foreign = instances.filter((i) => !isOurs(i.Tags, cluster));
    if (foreign.length === 0) return;
    this.foreign.report(
      cluster,
      'instance(s)',
      foreign.map((i) => ({ key: i.InstanceId!, text: describeForeign(i.InstanceId!, i.Tags) })),
    );
  }

  /** request_floating_ip: running instances without a public IP get one (recorded on the instances). */
  private async addFloatingIps(cluster: ClusterRef, instances: Instance[]): Promise<void> {
    const bare = instances.filter((i) => i.State?.Name === 'running' && !i.PublicIpAddress);
    if (bare.length === 0) return;
    const ips = await ensureFloatingIps(
      this.api,
      cluster,
      bare.map((i) => i.InstanceId!),
      this.context.log,
    ).catch((error: unknown) => {
      this.context.log.warn(`Could not list the Elastic IPs of cluster "${cluster.name}": ${String(error)}`);
      return new Map<string, string>();
    });
    for (const instance of bare) {
      const ip = ips.get(instance.InstanceId!);
      if (ip) instance.PublicIpAddress = ip;
    }
  }
}
