/**
 * The `openstack` provider: Keystone v3, Nova, Neutron and Glance over plain REST (client.ts). Servers
 * of a kind are created one request each with bounded concurrency (launch.ts); status comes from one
 * list per polling round for the whole cluster, filtered by the cluster's tag (watch.ts); everything
 * herd creates carries the cluster's identity (identity.ts), so `stop` and `start NAME` find it all.
 */
import type { CloudSection } from '../../config/types.js';
import { AbortError, HerdError } from '../../errors.js';
import { eachLimited } from '../../util/each-limited.js';
import { describeCluster, ForeignResources } from '../identity.js';
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
import { OpenStackApiError } from './api-error.js';
import { OpenStackClient } from './client.js';
import { type ErrorContext, toProviderError } from './errors.js';
import { ensureFloatingIps, releaseFloatingIps } from './floating-ip.js';
import { clusterIdOf, clusterTag, isOwnServer, keyPairName } from './identity.js';
import { deleteKeyPair, ensureKeyPair } from './key-pair.js';
import { launchServers, META_FLOATING_NETWORK, type Placement } from './launch.js';
import {
  defaultNetwork,
  findFlavor,
  findImage,
  findNetworks,
  floatingNetwork,
  type LookupContext,
} from './lookup.js';
import { Nova, type NovaServer } from './nova.js';
import { openStackPreflight } from './preflight.js';
import { deleteClusterSecurityGroups, ensureSecurityGroups } from './security-group.js';
import { deleteClusterServerGroups, ensureServerGroup, lastServerGroupIndex } from './server-group.js';
import {
  type OpenStackCloudSettings,
  type ReadCloudOptions,
  readOpenStackCloudSettings,
  readOpenStackKindSettings,
} from './settings.js';
import { addressesOf, goneStatus, statusOf } from './status.js';
import { fetchTransport, type Transport, tlsTransport } from './transport.js';
import { ServerWatch } from './watch.js';

/** Knobs for tests and benchmarks; herd itself uses the defaults. */
export interface OpenStackProviderOptions extends ReadCloudOptions {
  /** Replaces the HTTP transport (default: fetch, or https with cacert/insecure). */
  transport?: Transport;
  /** Parallel server create/delete/action calls (default 8). */
  concurrency?: number;
  /** Pauses between polls of the shared server list (default 500 ms doubling to 2 s). */
  pollFirstMs?: number;
  pollMaxMs?: number;
  /** First pause of the client's retries (default 500 ms). */
  retryBaseMs?: number;
  /** How long terminateNodes waits for servers to be gone (default 10 minutes). */
  deleteTimeoutMs?: number;
  /** How long cleanup retries a security group still in use (default 120 s), first pause (2 s). */
  securityGroupDeleteTimeoutMs?: number;
  securityGroupDeleteIntervalMs?: number;
}

/** Builds the OpenStack provider for a `[cloud/NAME] provider=openstack` section. */
export async function createOpenStackProvider(
  cloud: CloudSection,
  context: ProviderContext,
  options: OpenStackProviderOptions = {},
): Promise<Provider> {
  const settings = await readOpenStackCloudSettings(cloud, options);
  const transport =
    options.transport ??
    (settings.cacert || settings.insecure ? await tlsTransport(settings) : fetchTransport());
  const client = new OpenStackClient(settings, {
    transport,
    log: context.log,
    ...(options.retryBaseMs === undefined ? {} : { retryBaseMs: options.retryBaseMs }),
  });
  return new OpenStackProvider(settings, context, client, options);
}

type ServerAction = 'os-stop' | 'os-start';

class OpenStackProvider implements Provider {
  readonly name = 'openstack' as const;
  private readonly nova: Nova;
  private readonly watches = new Map<string, ServerWatch>();
  /** Lookups shared by the kinds of one run, by what was looked up; a failure is forgotten. */
  private readonly cache = new Map<string, Promise<unknown>>();
  private readonly foreign: ForeignResources;

  constructor(
    private readonly cloud: OpenStackCloudSettings,
    private readonly context: ProviderContext,
    private readonly client: OpenStackClient,
    private readonly options: OpenStackProviderOptions,
  ) {
    this.nova = new Nova(client, cloud.section, cloud.computeVersionCap);
    this.foreign = new ForeignResources(context.log);
  }

  /** Read-only: a token, then GET calls only (see preflight.ts). */
  preflight(request: PreflightRequest): Promise<PreflightReport> {
    return openStackPreflight(this.client, this.nova, this.cloud, request);
  }

  async prepare(ref: ClusterRef, login: CreateNodesRequest['login']): Promise<void> {
    await this.call(`authenticate and import key pair for ${describeCluster(ref)}`, () =>
      this.keyPair(ref, login),
    );
  }

  async createNodes(request: CreateNodesRequest): Promise<CreateNodesResult> {
    const { kind, signal } = request;
    const ref = request.cluster;
    const template = request.template;
    const ctx: ErrorContext = {
      action: `create ${request.nodes.length} ${kind} server(s)`,
      section: this.cloud.section,
      template,
      kind,
      settings: request.settings,
    };
    if (request.nodes.length === 0) return { created: [], failed: [] };
    try {
      const settings = readOpenStackKindSettings(request.settings, this.cloud, { template, kind });
      const where: LookupContext = { template, kind, section: this.cloud.section };
      const [keyName, image, flavor, groups, placements, fipNetwork] = await Promise.all([
        this.keyPair(ref, request.login, signal),
        this.cached(`image:${settings.image}`, () => findImage(this.client, settings.image, where, signal)),
        this.cached(`flavor:${settings.flavor}`, () => findFlavor(this.nova, settings.flavor, where, signal)),
        // Per cluster: herd's own group is named and tagged for the cluster.
        this.cached(`sg:${ref.name}/${ref.id ?? ''}:${settings.securityGroups.join(',')}`, () =>
          ensureSecurityGroups(
            this.client,
            {
              cluster: ref,
              wanted: settings.securityGroups,
              sshCidr: this.cloud.sshCidr,
              origin: `[cluster/${template}]`,
            },
            this.context.log,
            signal,
          ),
        ),
        this.placements(settings.networkChoices, settings.availabilityZones, where, signal),
        settings.requestFloatingIp
          ? this.cached(`fip:${settings.floatingNetwork ?? ''}`, () =>
              floatingNetwork(this.client, settings.floatingNetwork, where, signal),
            )
          : undefined,
      ]);
      const firstGroup = this.cloud.antiAffinity
        ? Math.max(1, await lastServerGroupIndex(this.nova, ref, kind, signal))
        : 1;
      const launched = await launchServers(
        {
          cluster: ref,
          kind,
          runId: request.runId,
          nodes: request.nodes,
          imageId: image.id,
          flavorId: flavor.id,
          keyName,
          securityGroupIds: groups,
          userdata: settings.userdata,
          bootDisk: settings.bootDisk,
          floatingNetworkId: fipNetwork?.id,
          placements,
          serverGroup: this.cloud.antiAffinity
            ? (index) => ensureServerGroup(this.nova, ref, kind, index, signal)
            : undefined,
          firstGroupIndex: firstGroup,
        },
        {
          nova: this.nova,
          watch: this.watch(ref),
          log: this.context.log,
          concurrency: this.options.concurrency ?? 8,
          buildTimeoutMs: this.cloud.buildTimeoutMs,
          errorContext: ctx,
          signal,
        },
      );
      return {
        created: launched.created.map(({ node, server }) => ({ ...statusOf(server), name: node.name })),
        failed: launched.failed.map(({ node, error }) => ({ name: node.name, error })),
      };
    } catch (error) {
      if (error instanceof AbortError || signal?.aborted)
        throw error instanceof AbortError ? error : new AbortError();
      const mapped = toProviderError(error, ctx);
      return { created: [], failed: request.nodes.map((n) => ({ name: n.name, error: mapped })) };
    }
  }

  async describeNodes(ref: ClusterRef, instanceIds: readonly string[]): Promise<NodeStatus[]> {
    if (instanceIds.length === 0) return [];
    const servers = await this.call('list servers', () => this.listServers(ref));
    const extra = await this.floatingIps(ref, servers);
    const byId = new Map(servers.map((s) => [s.id, s]));
    return instanceIds.map((id) => {
      const server = byId.get(id);
      return server ? statusOf(server, extra.get(id) ? [extra.get(id)!] : []) : goneStatus(id);
    });
  }

  async findNodes(ref: ClusterRef): Promise<NodeStatus[]> {
    const servers = await this.call('list servers', () => this.listServers(ref));
    return servers.map((s) => statusOf(s));
  }

  async terminateNodes(ref: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    if (instanceIds.length === 0) return;
    // Only the cluster's own servers: an id of another cluster's server (a hand-edited state, a
    // cluster of the same name in another storage directory) is never deleted.
    const own = new Set((await this.call('list servers', () => this.listServers(ref))).map((s) => s.id));
    const ids = [...new Set(instanceIds)].filter((id) => own.has(id));
    if (ids.length === 0) return;
    const failures: string[] = [];
    await eachLimited(ids, this.options.concurrency ?? 8, async (id) => {
      try {
        await this.nova.call('DELETE', `/servers/${encodeURIComponent(id)}`);
      } catch (error) {
        if (error instanceof OpenStackApiError && error.status === 404) return;
        failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    if (failures.length > 0) {
      throw toProviderError(
        new Error(`could not delete ${failures.length} server(s): ${failures.join('; ')}`),
        {
          action: 'delete servers',
          section: this.cloud.section,
        },
      );
    }
    // Wait until Nova lists none of them: their ports and boot volumes go with them, and stop must
    // find nothing left before it deletes security groups.
    const deadline = Date.now() + (this.options.deleteTimeoutMs ?? 600_000);
    const left = await this.call('wait for servers to be deleted', () =>
      this.watch(ref).until(ids, (s) => s === undefined, deadline),
    );
    const remaining = [...left.entries()].filter(([, s]) => s !== undefined).map(([id]) => id);
    if (remaining.length > 0) {
      this.context.log.warn(
        `${remaining.length} server(s) of ${describeCluster(ref)} are still being deleted after ${Math.round((this.options.deleteTimeoutMs ?? 600_000) / 1000)} s: ${remaining.join(', ')}.`,
      );
    }
    await this.call('release floating IPs', () =>
      releaseFloatingIps(this.client, ref, this.context.log, new Set(ids)),
    );
  }

  async stopNodes(ref: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    await this.serverActions(ref, instanceIds, 'os-stop');
  }

  async startNodes(ref: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    await this.serverActions(ref, instanceIds, 'os-start');
  }

  async cleanup(ref: ClusterRef): Promise<void> {
    const log = this.context.log;
    const addresses = await this.call('release floating IPs', () =>
      releaseFloatingIps(this.client, ref, log),
    );
    const groups = await this.call('delete server groups', () => deleteClusterServerGroups(this.nova, ref));
    const keyName = keyPairName(ref);
    const key = await this.call('delete key pair', () => deleteKeyPair(this.nova, keyName));
    const securityGroups = await this.call('delete security groups', () =>
      deleteClusterSecurityGroups(this.client, ref, log, {
        timeoutMs: this.options.securityGroupDeleteTimeoutMs ?? 120_000,
        intervalMs: this.options.securityGroupDeleteIntervalMs ?? 2_000,
      }),
    );
    this.cache.clear();
    const removed = [
      ...addresses.map((a) => `floating IP ${a}`),
      ...groups.map((g) => `server group ${g}`),
      ...(key ? [`key pair ${keyName}`] : []),
      ...securityGroups.map((g) => `security group ${g}`),
    ];
    if (removed.length > 0) log.debug(`Removed ${removed.join(', ')}.`);
  }

  /**
   * The cluster's servers: one list (all pages) of those tagged with its name, kept to those whose
   * metadata carries its name and id. The others are named in a warning (once each) and left alone.
   */
  private async listServers(ref: ClusterRef): Promise<NovaServer[]> {
    const servers = (await this.nova.serversTagged(clusterTag(ref))).filter((s) => s.status !== 'DELETED');
    const foreign = servers.filter((s) => !isOwnServer(ref, s.metadata));
    if (foreign.length > 0) {
      this.foreign.report(
        ref,
        'server(s)',
        foreign.map((s) => {
          const id = clusterIdOf(s.metadata);
          return { key: s.id, text: `${s.id} (${s.name}, ${id ? `cluster id ${id}` : 'no cluster id'})` };
        }),
      );
    }
    return servers.filter((s) => isOwnServer(ref, s.metadata));
  }

  private watch(ref: ClusterRef): ServerWatch {
    const key = `${ref.name}/${ref.id ?? ''}`;
    let watch = this.watches.get(key);
    if (!watch) {
      watch = new ServerWatch(() => this.listServers(ref), {
        firstDelayMs: this.options.pollFirstMs ?? 500,
        maxDelayMs: this.options.pollMaxMs ?? 2_000,
      });
      this.watches.set(key, watch);
    }
    return watch;
  }

  /** herd's key pair (`herd-<cluster>-<id>`) or the login's `user_key_name`, imported when missing. */
  private keyPair(
    ref: ClusterRef,
    login: CreateNodesRequest['login'],
    signal?: AbortSignal,
  ): Promise<string> {
    const name = login.keyName ?? keyPairName(ref);
    return this.cached(`key:${name}`, async () => {
      await ensureKeyPair(
        this.nova,
        {
          name,
          publicKey: login.publicKey,
          origin: login.keyName
            ? 'user_key_name of the login section'
            : `herd's key pair for cluster ${ref.name}`,
        },
        this.context.log,
        signal,
      );
      return name;
    });
  }

  /** Zones (outer) times network alternatives (inner), in failover order. */
  private async placements(
    choices: readonly (readonly string[])[],
    zones: readonly string[],
    where: LookupContext,
    signal?: AbortSignal,
  ): Promise<Placement[]> {
    const networkSets =
      choices.length > 0
        ? await Promise.all(
            choices.map((choice) =>
              this.cached(`net:${choice.join(',')}`, () => findNetworks(this.client, choice, where, signal)),
            ),
          )
        : [[await this.cached('net:', () => defaultNetwork(this.client, where, signal))]];
    const zoneList = zones.length > 0 ? zones : [undefined];
    return zoneList.flatMap((zone) => networkSets.map((networks) => ({ zone, networks })));
  }

  /** request_floating_ip: ACTIVE servers whose metadata names an external network get a floating IP. */
  private async floatingIps(ref: ClusterRef, servers: readonly NovaServer[]): Promise<Map<string, string>> {
    const wanting = servers.filter(
      (s) =>
        s.status === 'ACTIVE' &&
        s.metadata?.[META_FLOATING_NETWORK] !== undefined &&
        addressesOf(s).publicIps.length === 0,
    );
    if (wanting.length === 0) return new Map();
    return ensureFloatingIps(
      this.client,
      ref,
      wanting.map((s) => ({ id: s.id, networkId: s.metadata![META_FLOATING_NETWORK]! })),
      this.context.log,
    ).catch((error: unknown) => {
      this.context.log.warn(`Could not list the floating IPs of ${describeCluster(ref)}: ${String(error)}`);
      return new Map<string, string>();
    });
  }

  /** os-stop / os-start on each server; a server already in the wanted state is not an error. */
  private async serverActions(
    ref: ClusterRef,
    instanceIds: readonly string[],
    action: ServerAction,
  ): Promise<void> {
    const failures: string[] = [];
    await eachLimited([...new Set(instanceIds)], this.options.concurrency ?? 8, async (id) => {
      try {
        await this.nova.call('POST', `/servers/${encodeURIComponent(id)}/action`, {
          body: { [action]: null },
          retryConflict: false,
          idempotent: true,
        });
      } catch (error) {
        if (error instanceof OpenStackApiError && error.status === 409) {
          const already = action === 'os-stop' ? /stopped|shutoff/i : /active/i;
          if (already.test(error.message)) return;
        }
        failures.push(`${id}: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
    if (failures.length > 0) {
      throw toProviderError(new Error(failures.join('; ')), {
        action: `${action === 'os-stop' ? 'stop' : 'start'} ${failures.length} server(s) of ${describeCluster(ref)}`,
        section: this.cloud.section,
      });
    }
  }

  private cached<T>(key: string, load: () => Promise<T>): Promise<T> {
    let pending = this.cache.get(key) as Promise<T> | undefined;
    if (!pending) {
      pending = load();
      pending.catch(() => this.cache.delete(key));
      this.cache.set(key, pending);
    }
    return pending;
  }

  /** Runs one step, turning its failure into a ProviderError that says what to do. */
  private async call<T>(action: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      if (error instanceof HerdError) throw error;
      throw toProviderError(error, { action, section: this.cloud.section });
    }
  }
}
