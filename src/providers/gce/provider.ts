/**
 * The `google` provider (alias `gce`). Nodes of one kind are created with ONE `instances.bulkInsert`
 * per zone tried (all or nothing, exact names), zones in the order of `zone`; a zone without
 * capacity or quota hands the whole batch to the next one. Status comes from one `instances.list`
 * per zone, filtered by the cluster label. herd's instance id is `zone/name`, so that nodes stay
 * reachable if `zone` changes later. Instance names carry the cluster id (`<cluster>-<id>-<node>`,
 * unique per zone) and labels carry name and id: an instance with the cluster's name but another id
 * is never adopted, listed or deleted (labels.ts decides what is ours). Nothing per-cluster exists
 * besides the instances: no firewall rules are created (the project's network must let herd reach
 * port 22), so `cleanup` has nothing to do.
 */
import type { CloudSection } from '../../config/types.js';
import { AbortError, ProviderError } from '../../errors.js';
import { cloudNameFor } from '../../state/names.js';
import { eachLimited } from '../../util/each-limited.js';
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
} from '../types.js';
import type { GceApi, GceInstance, GceOperation } from './api.js';
import { resolveAuthClient } from './auth.js';
import {
  type ApiFailure,
  describeApiError,
  describeOperationError,
  type ErrorContext,
  isCapacityFailure,
  toProviderError,
} from './errors.js';
import { buildBulkInsert } from './instance-body.js';
import {
  bulkInsertRequestId,
  instanceNameProblem,
  isOurs,
  LABEL,
  labelFilter,
  parseInstanceId,
} from './labels.js';
import { gcePreflight } from './preflight.js';
import { type GceCloudSettings, readGceCloudSettings } from './settings.js';
import { goneStatus, statusOf } from './status.js';

/** Knobs for tests and benchmarks; herd itself uses the defaults. */
export interface GceProviderOptions {
  /** Replaces the SDK-backed API (unit tests). */
  api?: GceApi;
  /** Where GOOGLE_OAUTH_ACCESS_TOKEN is read (default process.env). ADC always reads process.env. */
  env?: NodeJS.ProcessEnv;
  /** Parallel delete/stop/start calls (default 16). */
  concurrency?: number;
  /** How long one operation may take before herd gives up waiting (default 20 minutes). */
  operationTimeoutMs?: number;
}

/** Builds the GCE provider for a `[cloud/NAME] provider=google` section. */
export async function createGceProvider(
  cloud: CloudSection,
  context: ProviderContext,
  options: GceProviderOptions = {},
): Promise<Provider> {
  return new GceProvider(readGceCloudSettings(cloud), context, options);
}

type InstanceCall = 'deleteInstance' | 'stopInstance' | 'startInstance';

class GceProvider implements Provider {
  readonly name = 'google' as const;
  private apiPromise: Promise<GceApi> | undefined;
  private warnedLegacy = false;
  private readonly foreign: ForeignResources;

  constructor(
    private readonly settings: GceCloudSettings,
    private readonly context: ProviderContext,
    private readonly options: GceProviderOptions,
  ) {
    this.foreign = new ForeignResources(context.log);
  }

  /** Read-only: GET calls only (see preflight.ts). */
  preflight(request: PreflightRequest): Promise<PreflightReport> {
    return gcePreflight(() => this.api(), this.settings, request);
  }

  async prepare(cluster: ClusterRef): Promise<void> {
    if (this.settings.legacyOAuthClient && !this.warnedLegacy) {
      this.warnedLegacy = true;
      this.context.log.info(
        `[${this.settings.section}] gce_client_id/gce_client_secret are ignored: herd uses Application Default Credentials ("gcloud auth application-default login", or GOOGLE_APPLICATION_CREDENTIALS=<service account key file>).`,
      );
    }
    const example = cloudNameFor(cluster.name, 'node001', cluster.id);
    const prefix = cloudNameFor(cluster.name, 'node001').slice(0, -'-node001'.length);
    // With an id in every instance name, clusters whose names look alike on GCE never share instances.
    if (cluster.id === undefined && prefix !== cluster.name) {
      this.context.log.warn(
        `Cluster "${cluster.name}" is named "${prefix}-<node>" on GCE (instance names are lowercase, without "_" or "."); a cluster called "${prefix}" would use the same names.`,
      );
    }
    const problem = instanceNameProblem(example);
    if (problem) throw badNameError(cluster.name, example, problem);
    await this.api();
  }

  async createNodes(request: CreateNodesRequest): Promise<CreateNodesResult> {
    for (const spec of request.nodes) {
      const problem = instanceNameProblem(spec.cloudName);
      if (problem) throw badNameError(request.cluster.name, spec.cloudName, problem, spec.name);
    }
    if (request.nodes.length === 0) return { created: [], failed: [] };
    const api = await this.api();
    const { nodes, kind } = request;
    const flavor = String(request.settings['flavor'] ?? '');
    const tried: { zone: string; failure: ApiFailure }[] = [];
    for (const zone of this.settings.zones) {
      if (request.signal?.aborted) throw new AbortError(`Not creating ${kind} nodes: interrupted.`);
      const ctx: ErrorContext = {
        ...this.errorContext(`create ${nodes.length} ${kind} node(s) in ${zone}`, kind),
        template: request.template,
        settings: request.settings,
      };
      const body = buildBulkInsert({
        project: this.settings.project,
        zone,
        network: this.settings.network,
        cluster: request.cluster,
        kind,
        runId: request.runId,
        names: nodes.map((n) => n.cloudName),
        settings: request.settings,
        login: request.login,
      });
      const requestId = bulkInsertRequestId(request.cluster, request.runId, kind, zone);
      this.context.log.debug(
        `GCE bulkInsert ${nodes.length} x ${flavor} in ${zone} (requestId ${requestId})`,
        2,
      );
      let op: GceOperation;
      try {
        op = await this.waitDone(zone, await api.bulkInsert(zone, body, requestId));
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        const failure = describeApiError(error);
        if (!isCapacityFailure(failure)) throw toProviderError(failure, ctx, error);
        tried.push({ zone, failure });
        this.warnNextZone(zone, kind, nodes.length, failure);
        continue;
      }
      const errors = op.error?.errors ?? [];
      if (errors.length > 0) {
        const failure = describeOperationError(errors);
        if (isCapacityFailure(failure)) {
          tried.push({ zone, failure });
          this.warnNextZone(zone, kind, nodes.length, failure);
          continue;
        }
        const error = toProviderError(failure, ctx);
        return { created: [], failed: nodes.map((n) => ({ name: n.name, error })) };
      }
      return this.collectCreated(api, request, zone);
    }
    const error = new ProviderError(
      'GceNoCapacity',
      `No zone could take ${nodes.length} ${kind} node(s) (${flavor}); tried ${tried
        .map((t) => `${t.zone} (${t.failure.message})`)
        .join(', ')}.`,
      {
        hint: `Add zones to zone= in [${this.settings.section}] (a comma-separated list is tried in order), choose another flavor, or ask Google for more quota.`,
      },
    );
    return { created: [], failed: nodes.map((n) => ({ name: n.name, error })) };
  }

  async describeNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<NodeStatus[]> {
    const extraZones = instanceIds.flatMap((id) => parseInstanceId(id).zone ?? []);
    const found = await this.listCluster(cluster, extraZones);
    const byName = new Map(found.map((s) => [parseInstanceId(s.instanceId).name, s]));
    return instanceIds.map((id) => {
      const exact = found.find((s) => s.instanceId === id);
      const bare = parseInstanceId(id).zone === undefined ? byName.get(id) : undefined;
      return exact ?? bare ?? goneStatus(id);
    });
  }

  async findNodes(cluster: ClusterRef): Promise<NodeStatus[]> {
    return this.listCluster(cluster, []);
  }

  async terminateNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    await this.eachInstance(cluster, instanceIds, 'deleteInstance', 'delete');
  }

  async stopNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    await this.eachInstance(cluster, instanceIds, 'stopInstance', 'stop');
  }

  async startNodes(cluster: ClusterRef, instanceIds: readonly string[]): Promise<void> {
    await this.eachInstance(cluster, instanceIds, 'startInstance', 'start');
  }

  async cleanup(): Promise<void> {
    // herd creates nothing on GCE besides instances (see the module comment).
  }

  /** One list in the zone the batch went to; names that did not come back are failed nodes. */
  private async collectCreated(
    api: GceApi,
    request: CreateNodesRequest,
    zone: string,
  ): Promise<CreateNodesResult> {
    const filter = labelFilter(request.cluster, { runId: request.runId, kind: request.kind });
    let listed: NodeStatus[];
    try {
      listed = (await api.listInstances(zone, filter))
        .filter((i) => isOurs(i.labels, request.cluster))
        .map((i) => statusOf(i, zone));
    } catch (error) {
      throw toProviderError(describeApiError(error), this.errorContext(`list instances in ${zone}`), error);
    }
    const created: (NodeStatus & { name: string })[] = [];
    const failed: { name: string; error: Error }[] = [];
    for (const spec of request.nodes) {
      const status = listed.find((s) => parseInstanceId(s.instanceId).name === spec.cloudName);
      if (status) created.push({ ...status, name: spec.name });
      else {
        failed.push({
          name: spec.name,
          error: new ProviderError(
            'GceInstanceMissing',
            `GCE reported the bulkInsert in ${zone} done, but instance ${spec.cloudName} does not exist.`,
          ),
        });
      }
    }
    return { created, failed };
  }

  /**
   * Every instance of the cluster (its name and id): one list per zone (configured zones plus
   * `extraZones`). Instances with the cluster's name but another id are named in a warning.
   */
  private async listCluster(cluster: ClusterRef, extraZones: readonly string[]): Promise<NodeStatus[]> {
    const api = await this.api();
    const zones = [...new Set([...this.settings.zones, ...extraZones])];
    const filter = labelFilter(cluster);
    const perZone = await Promise.all(
      zones.map(async (zone) => {
        try {
          const instances = await api.listInstances(zone, filter);
          this.reportForeign(cluster, zone, instances);
          return instances.filter((i) => isOurs(i.labels, cluster)).map((i) => statusOf(i, zone));
        } catch (error) {
          throw toProviderError(
            describeApiError(error),
            this.errorContext(`list instances in ${zone}`),
            error,
          );
        }
      }),
    );
    return perZone.flat();
  }

  private reportForeign(cluster: ClusterRef, zone: string, instances: readonly GceInstance[]): void {
    const foreign = instances.filter((i) => !isOurs(i.labels, cluster));
    if (foreign.length === 0) return;
    this.foreign.report(
      cluster,
      'instance(s)',
      foreign.map((i) => {
        const id = i.labels?.[LABEL.clusterId];
        return {
          key: `${zone}/${i.name}`,
          text: `${zone}/${i.name} (${id === undefined ? 'no cluster id' : `cluster id ${id}`})`,
        };
      }),
    );
  }

  /**
   * Runs one call per instance of the cluster (bounded parallelism), waits for each operation; gathers
   * failures. Ids that are no instance of the cluster (gone, or another cluster's) get no call.
   */
  private async eachInstance(
    cluster: ClusterRef,
    instanceIds: readonly string[],
    call: InstanceCall,
    verb: string,
  ): Promise<void> {
    if (instanceIds.length === 0) return;
    const api = await this.api();
    const targets = await this.locate(cluster, instanceIds);
    const failures: string[] = [];
    await eachLimited(targets, this.options.concurrency ?? 16, async ({ id, zone, name }) => {
      if (!zone) {
        if (call !== 'deleteInstance') failures.push(`${id}: no such instance`);
        return;
      }
      try {
        const op = await this.waitDone(zone, await api[call](zone, name));
        const errors = (op.error?.errors ?? []).filter(
          (e) => !(call === 'deleteInstance' && e.code === 'RESOURCE_NOT_FOUND'),
        );
        if (errors.length > 0) failures.push(`${id}: ${describeOperationError(errors).message}`);
      } catch (error) {
        const failure = describeApiError(error);
        if (call === 'deleteInstance' && failure.status === 404) return;
        if (error instanceof ProviderError) failures.push(`${id}: ${error.message}`);
        else failures.push(`${id}: ${failure.message}`);
      }
    });
    if (failures.length > 0) {
      throw new ProviderError(
        'GceOperationFailed',
        `Could not ${verb} ${failures.length} of ${targets.length} instance(s) in project ${this.settings.project}:\n  ${failures.join('\n  ')}`,
        { hint: 'Run the command again; instances that are gone already are skipped.' },
      );
    }
  }

  /**
   * Zone and name of each id, looked up among the cluster's instances (one list per zone): an id that
   * is not one of them (gone, or another cluster's) comes back without a zone. A bare name (no zone)
   * is matched by name.
   */
  private async locate(
    cluster: ClusterRef,
    ids: readonly string[],
  ): Promise<{ id: string; zone: string | undefined; name: string }[]> {
    const parsed = ids.map((id) => ({ id, ...parseInstanceId(id) }));
    const found = await this.listCluster(
      cluster,
      parsed.flatMap((p) => p.zone ?? []),
    );
    return parsed.map((p) => {
      const hit = found.find((s) =>
        p.zone ? s.instanceId === p.id : parseInstanceId(s.instanceId).name === p.name,
      );
      return { ...p, zone: hit ? parseInstanceId(hit.instanceId).zone : undefined };
    });
  }

  /** Waits (zoneOperations.wait, repeatedly) until the operation is DONE. */
  private async waitDone(zone: string, op: GceOperation): Promise<GceOperation> {
    const api = await this.api();
    const deadline = Date.now() + (this.options.operationTimeoutMs ?? 20 * 60_000);
    let current = op;
    while (current.status !== 'DONE') {
      if (Date.now() > deadline) {
        throw new ProviderError(
          'GceOperationTimeout',
          `GCE operation ${current.name} (${current.operationType ?? 'operation'} in ${zone}) is not done after ${Math.round((this.options.operationTimeoutMs ?? 1_200_000) / 1000)} s.`,
          { hint: `Check it with "gcloud compute operations describe ${current.name} --zone ${zone}".` },
        );
      }
      current = await api.waitOperation(zone, current.name);
    }
    return current;
  }

  private warnNextZone(zone: string, kind: string, count: number, failure: ApiFailure): void {
    const next = this.settings.zones[this.settings.zones.indexOf(zone) + 1];
    this.context.log.warn(
      `${zone} cannot take ${count} ${kind} node(s) now (${failure.reason ?? failure.message})${next ? `; trying ${next}` : ''}.`,
    );
  }

  private errorContext(action: string, kind?: string): ErrorContext {
    return {
      action,
      section: this.settings.section,
      project: this.settings.project,
      ...(kind ? { kind } : {}),
    };
  }

  /** The API client, built once on first use (credentials are resolved then). */
  private api(): Promise<GceApi> {
    if (this.options.api) return Promise.resolve(this.options.api);
    if (!this.apiPromise) {
      this.apiPromise = (async () => {
        const authClient = await resolveAuthClient(this.options.env);
        const { createSdkApi } = await import('./sdk-api.js');
        return createSdkApi({ project: this.settings.project, endpoint: this.settings.endpoint, authClient });
      })();
      this.apiPromise.catch(() => {
        this.apiPromise = undefined;
      });
    }
    return this.apiPromise;
  }
}

function badNameError(cluster: string, instance: string, problem: string, node?: string): ProviderError {
  const who = node ? `Node ${node} of cluster "${cluster}"` : `Cluster "${cluster}"`;
  return new ProviderError(
    'GceBadInstanceName',
    `${who} cannot be created on GCE: its instance name "${instance}" is invalid (${problem}).`,
    {
      hint: 'GCE instance names are <cluster>-<node>, lowercased: start the cluster under a name that begins with a letter (herd start TEMPLATE -n NAME) and keep cluster plus node names within 63 characters.',
    },
  );
}
