/**
 * An in-memory cloud for orchestration tests: the whole Provider contract of
 * src/providers/types.ts over a map of instances, with the faults a real cloud has, injected per
 * call (quota, transient, fatal errors; before or after the call took effect), nodes that boot slowly
 * or never, nodes a kind of createNodes refuses, and hooks that run inside a call (to press Ctrl-C or
 * "crash" the process there). It keeps the contract's promises the way the real providers do:
 * findNodes sees only this cluster's name and id, unknown ids are described as `terminated`,
 * terminating what is gone is no error, another cluster's instances are never touched.
 */
import { AbortError, ProviderError } from '../../src/errors.js';
import type {
  ClusterRef,
  CreateNodesRequest,
  CreateNodesResult,
  NodeStatus,
  PreflightReport,
  PreflightRequest,
  Provider,
} from '../../src/providers/types.js';
import type { NodeLifecycle } from '../../src/state/types.js';

/** The provider methods a fault or hook can target. */
export type CloudMethod =
  | 'prepare'
  | 'createNodes'
  | 'describeNodes'
  | 'findNodes'
  | 'terminateNodes'
  | 'stopNodes'
  | 'startNodes'
  | 'cleanup'
  | 'preflight';

/** One instance of the fake cloud. */
export interface MemoryInstance {
  instanceId: string;
  /** herd's node name (the tag / label a real cloud carries). */
  name: string | undefined;
  cluster: ClusterRef;
  kind: string;
  state: NodeLifecycle;
  privateIps: string[];
  publicIps: string[];
  flavor?: string;
  reason?: string;
  /** Describe calls left before a `pending` instance reports `running` (Infinity: never). */
  bootDescribes: number;
}

/** A fault injected into the next call(s) of one method. */
export interface Fault {
  /**
   * `quota` and `fatal` are errors no retry fixes; `transient` is what a throttled or flaky API
   * answers. All are thrown as the real providers throw them: a ProviderError with the cloud's code.
   */
  kind: 'quota' | 'transient' | 'fatal';
  /** How many calls fail (default 1). */
  times?: number;
  /** The call takes effect first, then fails (a timeout after the cloud acted; a crash mid-call). */
  afterEffect?: boolean;
}

const FAULT_CODES: Record<Fault['kind'], string> = {
  quota: 'InstanceLimitExceeded',
  transient: 'RequestLimitExceeded',
  fatal: 'InternalError',
};

/** Runs inside a call, before (`before`) or after (`after`) it took effect. */
export type Hook = (phase: 'before' | 'after', args: readonly unknown[]) => void | Promise<void>;

/** Options of a new cloud. */
export interface MemoryCloudOptions {
  /** Provider name it reports (default `ec2_boto`). */
  name?: Provider['name'];
  /** Whether it can stop and start nodes (default true). */
  stoppable?: boolean;
  /** Describe calls a new node stays `pending` (default 0: running as soon as created, as local nodes are). */
  bootDescribes?: number;
  /** Instances the account may run at once (default unlimited): more fail with InstanceLimitExceeded. */
  quota?: number;
}

/** The fake cloud: its instances, its call log, and the provider herd is given. */
export class MemoryCloud {
  readonly instances = new Map<string, MemoryInstance>();
  /** Every call, as `method` plus its most telling argument (`createNodes compute`, `terminateNodes i-1,i-2`). */
  readonly calls: string[] = [];
  /** Per-cluster resources `prepare` made and `cleanup` removed, by cluster id (or name). */
  readonly prepared = new Set<string>();
  readonly provider: Provider;
  readonly #faults = new Map<CloudMethod, Fault[]>();
  readonly #hooks = new Map<CloudMethod, Hook[]>();
  /** Node names whose creation fails, with the error the cloud gives for each. */
  readonly #refused = new Map<string, Error>();
  /** Node names that boot but never reach `running`, or reach it only after so many describes. */
  readonly #slow = new Map<string, number>();
  #nextId = 1;
  readonly #bootDescribes: number;
  readonly #quota: number;

  constructor(options: MemoryCloudOptions = {}) {
    this.#bootDescribes = options.bootDescribes ?? 0;
    this.#quota = options.quota ?? Number.POSITIVE_INFINITY;
    this.provider = this.#makeProvider(options.name ?? 'ec2_boto', options.stoppable ?? true);
  }

  /** The next call(s) of `method` fail with `fault`. */
  fail(method: CloudMethod, fault: Fault): this {
    const list = this.#faults.get(method) ?? [];
    for (let i = 0; i < (fault.times ?? 1); i++) list.push(fault);
    this.#faults.set(method, list);
    return this;
  }

  /** Runs `hook` in every call of `method` (throw from it to crash the call there). */
  on(method: CloudMethod, hook: Hook): this {
    this.#hooks.set(method, [...(this.#hooks.get(method) ?? []), hook]);
    return this;
  }

  /** createNodes reports these nodes failed (the others of their batch are created). */
  refuse(
    names: readonly string[],
    error: Error = new ProviderError('InsufficientInstanceCapacity', 'no capacity for this node'),
  ): this {
    for (const name of names) this.#refused.set(name, error);
    return this;
  }

  /** These nodes stay `pending` for `describes` describe calls (Infinity: they never come up). */
  slow(names: readonly string[], describes = Number.POSITIVE_INFINITY): this {
    for (const name of names) this.#slow.set(name, describes);
    return this;
  }

  /** Adds an instance as if created earlier (by this cluster, another one, or by hand). */
  seed(instance: Partial<MemoryInstance> & Pick<MemoryInstance, 'name' | 'cluster'>): MemoryInstance {
    const id = instance.instanceId ?? this.#newId();
    const made: MemoryInstance = {
      instanceId: id,
      kind: instance.name?.replace(/\d+$/, '') ?? 'unknown',
      state: 'running',
      privateIps: [this.#ipFor(id)],
      publicIps: [],
      bootDescribes: 0,
      ...instance,
    };
    this.instances.set(id, made);
    return made;
  }

  /** Instances not terminated (what costs money). */
  live(cluster?: ClusterRef): MemoryInstance[] {
    return [...this.instances.values()].filter(
      (i) => i.state !== 'terminated' && (!cluster || sameCluster(i.cluster, cluster)),
    );
  }

  /** Ids of live instances, sorted: compare with the instance ids a state file records. */
  liveIds(cluster?: ClusterRef): string[] {
    return this.live(cluster)
      .map((i) => i.instanceId)
      .sort();
  }

  /** Calls of one method, with their arguments as logged. */
  callsOf(method: CloudMethod): string[] {
    return this.calls.filter((c) => c === method || c.startsWith(`${method} `));
  }

  #newId(): string {
    return `i-${(this.#nextId++).toString(16).padStart(8, '0')}`;
  }

  #ipFor(id: string): string {
    const n = Number.parseInt(id.slice(2), 16) || this.#nextId;
    return `10.210.${Math.floor(n / 250)}.${(n % 250) + 2}`;
  }

  /** Runs one call: hooks and faults before, the effect, hooks and faults after. */
  async #call<T>(method: CloudMethod, detail: string, args: readonly unknown[], effect: () => T): Promise<T> {
    this.calls.push(detail ? `${method} ${detail}` : method);
    // A real call never answers in the same tick.
    await Promise.resolve();
    for (const hook of this.#hooks.get(method) ?? []) await hook('before', args);
    const fault = this.#faults.get(method)?.shift();
    if (fault && !fault.afterEffect) throw faultError(method, fault);
    const result = effect();
    for (const hook of this.#hooks.get(method) ?? []) await hook('after', args);
    if (fault) throw faultError(method, fault);
    return result;
  }

  #status(i: MemoryInstance): NodeStatus {
    return {
      instanceId: i.instanceId,
      name: i.name,
      state: i.state,
      publicIps: [...i.publicIps],
      privateIps: [...i.privateIps],
      ...(i.flavor ? { flavor: i.flavor } : {}),
      ...(i.reason ? { reason: i.reason } : {}),
    };
  }

  #create(request: CreateNodesRequest): CreateNodesResult {
    // As the real providers: an interrupted run creates nothing more.
    if (request.signal?.aborted) throw new AbortError(`Not creating ${request.kind} nodes: interrupted.`);
    const created: (NodeStatus & { name: string })[] = [];
    const failed: { name: string; error: Error }[] = [];
    for (const spec of request.nodes) {
      const refusal =
        this.#refused.get(spec.name) ??
        (this.live().length >= this.#quota
          ? new ProviderError('InstanceLimitExceeded', `the account may run ${this.#quota} instances`)
          : undefined);
      if (refusal) {
        failed.push({ name: spec.name, error: refusal });
        continue;
      }
      const id = this.#newId();
      const boot = this.#slow.get(spec.name) ?? this.#bootDescribes;
      const instance = this.seed({
        instanceId: id,
        name: spec.name,
        cluster: request.cluster,
        kind: request.kind,
        state: boot > 0 ? 'pending' : 'running',
        bootDescribes: boot,
        ...(typeof request.settings.flavor === 'string' ? { flavor: request.settings.flavor } : {}),
      });
      created.push({ ...this.#status(instance), name: spec.name });
    }
    return { created, failed };
  }

  /** Read-only, as the contract demands: credentials, each kind's flavor, and the quota left. */
  #preflight(request: PreflightRequest): PreflightReport {
    const wanted = request.kinds.reduce((sum, k) => sum + k.count, 0);
    const left = this.#quota - this.live().length;
    return {
      checks: [
        { id: 'credentials', status: 'ok', message: 'the fake cloud takes any credentials' },
        ...request.kinds.map((k) => ({
          id: 'flavor',
          kind: k.kind,
          status: k.settings.flavor ? ('ok' as const) : ('fail' as const),
          message: k.settings.flavor ? `flavor ${String(k.settings.flavor)} exists` : 'no flavor set',
          ...(k.settings.flavor ? {} : { hint: `Set ${k.kind}_flavor.` }),
        })),
        wanted > left
          ? { id: 'quota', status: 'warn', message: `${wanted} instances wanted, ${left} left in the quota` }
          : { id: 'quota', status: 'ok', message: `${wanted} instances fit in the quota` },
      ],
      kinds: request.kinds.map((k) => ({
        kind: k.kind,
        image: String(k.settings.image_id ?? ''),
        securityGroups: [],
      })),
      resources: [{ type: 'security-group', name: `herd-${request.cluster.name}`, action: 'create' }],
    };
  }

  #describe(cluster: ClusterRef, ids: readonly string[]): NodeStatus[] {
    return ids.map((id) => {
      const i = this.instances.get(id);
      if (!i || !sameCluster(i.cluster, cluster)) {
        return { instanceId: id, name: undefined, state: 'terminated', publicIps: [], privateIps: [] };
      }
      if (i.state === 'pending' && --i.bootDescribes <= 0) i.state = 'running';
      return this.#status(i);
    });
  }

  #setState(cluster: ClusterRef, ids: readonly string[], from: NodeLifecycle[], to: NodeLifecycle): void {
    for (const id of ids) {
      const i = this.instances.get(id);
      if (i && sameCluster(i.cluster, cluster) && from.includes(i.state)) i.state = to;
    }
  }

  #makeProvider(name: Provider['name'], stoppable: boolean): Provider {
    const key = (c: ClusterRef) => c.id ?? c.name;
    const provider: Provider = {
      name,
      prepare: (cluster, login) =>
        this.#call('prepare', cluster.name, [cluster, login], () => {
          this.prepared.add(key(cluster));
        }),
      createNodes: (request) =>
        this.#call(
          'createNodes',
          `${request.kind} ${request.nodes.map((n) => n.name).join(',')}`,
          [request],
          () => this.#create(request),
        ),
      describeNodes: (cluster, ids) =>
        this.#call('describeNodes', ids.join(','), [cluster, ids], () => this.#describe(cluster, ids)),
      findNodes: (cluster) =>
        this.#call('findNodes', cluster.name, [cluster], () =>
          this.live(cluster).map((i) => this.#status(i)),
        ),
      terminateNodes: (cluster, ids) =>
        this.#call('terminateNodes', ids.join(','), [cluster, ids], () =>
          this.#setState(
            cluster,
            ids,
            ['pending', 'running', 'stopping', 'stopped', 'error', 'unknown'],
            'terminated',
          ),
        ),
      cleanup: (cluster) =>
        this.#call('cleanup', cluster.name, [cluster], () => {
          this.prepared.delete(key(cluster));
        }),
      preflight: (request: PreflightRequest) =>
        this.#call('preflight', request.cluster.name, [request], () => this.#preflight(request)),
    };
    if (stoppable) {
      provider.stopNodes = (cluster, ids) =>
        this.#call('stopNodes', ids.join(','), [cluster, ids], () =>
          this.#setState(cluster, ids, ['pending', 'running'], 'stopped'),
        );
      provider.startNodes = (cluster, ids) =>
        this.#call('startNodes', ids.join(','), [cluster, ids], () =>
          this.#setState(cluster, ids, ['stopped'], 'running'),
        );
    }
    return provider;
  }
}

/** Whether an instance belongs to the cluster: same name, and same id (an id-less cluster owns id-less instances). */
function sameCluster(a: ClusterRef, b: ClusterRef): boolean {
  return a.name === b.name && a.id === b.id;
}

function faultError(method: CloudMethod, fault: Fault): ProviderError {
  const code = FAULT_CODES[fault.kind];
  return new ProviderError(code, `${method}: ${code} (injected ${fault.kind} fault)`);
}
