/** The fake's HTTP server: routing, auth, fault injection and instance lifecycles. */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerActivity, waitUntil } from '../activity.js';
import { ApiError, invalid, notFound, unauthenticated } from './api-error.js';
import { type CatalogImage, isMachineType, machineShape, regionOf, ZONES } from './catalog.js';
import { compileFilter } from './filter.js';
import type { FakeGce } from './index.js';
import { AddressPool } from './pool.js';
import type {
  BulkInsertFault,
  FakeGceOptions,
  GceInstanceJson,
  RequestFault,
  RequestRecord,
} from './types.js';
import { findImage, type ValidationContext, validateBulkInsert, validateRequestId } from './validate.js';

const BASE = 'https://www.googleapis.com/compute/v1/';
const MAX_RESULTS = 500;

type Hook = (instance: GceInstanceJson) => void | Promise<void>;

interface StoredOp {
  zone: string;
  json: Record<string, unknown>;
  waiters: Set<() => void>;
}

interface StoredInstance {
  zone: string;
  json: GceInstanceJson;
  deleting?: Promise<void>;
}

/** Routes: API method name, HTTP method and path pattern (under /compute/v1/). */
const ROUTES: readonly (readonly [string, string, RegExp])[] = [
  ['instances.bulkInsert', 'POST', /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/bulkInsert$/],
  ['instances.list', 'GET', /^projects\/([^/]+)\/zones\/([^/]+)\/instances$/],
  ['instances.get', 'GET', /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/],
  ['instances.delete', 'DELETE', /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)$/],
  ['instances.stop', 'POST', /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)\/stop$/],
  ['instances.start', 'POST', /^projects\/([^/]+)\/zones\/([^/]+)\/instances\/([^/]+)\/start$/],
  ['zoneOperations.get', 'GET', /^projects\/([^/]+)\/zones\/([^/]+)\/operations\/([^/]+)$/],
  ['zoneOperations.wait', 'POST', /^projects\/([^/]+)\/zones\/([^/]+)\/operations\/([^/]+)\/wait$/],
  ['images.getFromFamily', 'GET', /^projects\/([^/]+)\/global\/images\/family\/([^/]+)$/],
  ['images.get', 'GET', /^projects\/([^/]+)\/global\/images\/([^/]+)$/],
  ['machineTypes.get', 'GET', /^projects\/([^/]+)\/zones\/([^/]+)\/machineTypes\/([^/]+)$/],
  ['zones.get', 'GET', /^projects\/([^/]+)\/zones\/([^/]+)$/],
  ['regions.get', 'GET', /^projects\/([^/]+)\/regions\/([^/]+)$/],
];

/** The fake Compute Engine API (see index.ts). */
export class FakeGceServer implements FakeGce {
  readonly project: string;
  url = '';
  port = 0;
  calls: Record<string, number> = {};
  requests: RequestRecord[] = [];
  readonly hookErrors: Error[] = [];
  private readonly server: Server;
  private readonly activity: ServerActivity;
  private readonly store = new Map<string, StoredInstance>();
  private readonly ops = new Map<string, StoredOp>();
  private readonly byRequestId = new Map<string, StoredOp>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly inserted: Hook[] = [];
  private readonly deleted: Hook[] = [];
  private readonly requestHooks: ((method: string, r: RequestRecord) => void)[] = [];
  private readonly bulkFaults: (BulkInsertFault & { left: number })[] = [];
  private readonly requestFaults: (RequestFault & { left: number })[] = [];
  private readonly internal: AddressPool;
  private readonly external = new AddressPool('203.0.113.0/24');
  private readonly networks: Set<string>;
  private readonly subnetworks: Set<string>;
  private readonly projectImages: CatalogImage[];
  private nextId = 4_000_000_000_000_000_000n;
  private stopped = false;

  constructor(private readonly options: FakeGceOptions) {
    this.project = options.project ?? 'herd-test';
    this.internal = new AddressPool(options.internalSubnet ?? '10.87.1.0/24');
    this.networks = new Set(options.networks ?? ['default']);
    this.subnetworks = new Set(
      options.subnetworks ?? [...new Set(ZONES.map((z) => `${regionOf(z)}/default`))],
    );
    this.projectImages = (options.projectImages ?? []).map((i) => ({
      project: this.project,
      name: i.name,
      family: i.family ?? '',
      diskSizeGb: i.diskSizeGb ?? 10,
    }));
    this.server = createServer((req, res) => void this.activity.track(this.handle(req, res)));
    this.activity = new ServerActivity(this.server);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  instances(): GceInstanceJson[] {
    return [...this.store.values()].map((s) => structuredClone(s.json));
  }

  onInstanceInserted(cb: Hook): void {
    this.inserted.push(cb);
  }

  onInstanceDeleted(cb: Hook): void {
    this.deleted.push(cb);
  }

  onRequest(cb: (method: string, r: RequestRecord) => void): void {
    this.requestHooks.push(cb);
  }

  failBulkInsert(fault: BulkInsertFault): void {
    this.bulkFaults.push({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY });
  }

  failRequests(fault: RequestFault): void {
    this.requestFaults.push({ ...fault, left: fault.times ?? 1 });
  }

  resetCalls(): void {
    this.calls = {};
    this.requests = [];
  }

  settled(): Promise<void> {
    return waitUntil(() => this.activity.quiet);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const op of this.ops.values()) for (const w of op.waiters) w();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  // ---- HTTP ----

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    const path = url.pathname.replace(/^\/compute\/v1\//, '');
    const route = ROUTES.find(([, m, re]) => m === req.method && re.test(path));
    const method = route?.[0] ?? `unknown ${req.method} ${url.pathname}`;
    const query = Object.fromEntries(url.searchParams);
    let body: unknown;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = Symbol.for('unparsable');
    }
    const record: RequestRecord = { method, httpMethod: req.method ?? '', path: url.pathname, query, body };
    this.calls[method] = (this.calls[method] ?? 0) + 1;
    this.requests.push(record);
    for (const hook of this.requestHooks) hook(method, record);
    try {
      const auth = req.headers.authorization ?? '';
      const token = /^Bearer (\S+)$/.exec(auth)?.[1];
      if (!token || (this.options.accessToken !== undefined && token !== this.options.accessToken)) {
        throw unauthenticated();
      }
      if (typeof body === 'symbol') throw new ApiError(400, 'parseError', 'Parse Error');
      if (!route) throw new ApiError(404, 'notFound', `No such method: ${req.method} ${url.pathname}`);
      const params = route[2].exec(path)!.slice(1).map(decodeURIComponent);
      this.injectRequestFault(method, params[1]);
      const result = await this.dispatch(method, params, url.searchParams, body);
      this.send(res, 200, result);
    } catch (error) {
      if (error instanceof ApiError) this.send(res, error.status, error.body());
      else this.send(res, 500, new ApiError(500, 'backendError', String(error)).body());
    }
  }

  private send(res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    res.statusCode = status;
    res.setHeader('content-type', 'application/json; charset=UTF-8');
    res.end(JSON.stringify(body));
  }

  private injectRequestFault(method: string, zone: string | undefined): void {
    const fault = this.requestFaults.find(
      (f) => f.left > 0 && f.method === method && (f.zone === undefined || f.zone === zone),
    );
    if (!fault) return;
    fault.left--;
    throw new ApiError(fault.status, fault.reason, fault.message ?? `Injected ${fault.reason}`);
  }

  private async dispatch(
    method: string,
    params: string[],
    query: URLSearchParams,
    body: unknown,
  ): Promise<unknown> {
    const [project, zoneOrName, name] = params as [string, string, string];
    if (method.startsWith('images.')) return this.getImage(method, project, zoneOrName);
    if (project !== this.project) throw notFound(`projects/${project}`);
    if (method === 'regions.get') return this.region(zoneOrName);
    const zone = zoneOrName;
    if (!(ZONES as readonly string[]).includes(zone)) {
      // zones.get answers an unknown zone like any unknown resource.
      if (method === 'zones.get') throw notFound(`projects/${this.project}/zones/${zone}`);
      throw invalid('zone', zone, 'Unknown zone.');
    }
    switch (method) {
      case 'zones.get':
        return this.zone(zone);
      case 'instances.bulkInsert':
        return this.bulkInsert(zone, query.get('requestId'), body);
      case 'instances.list':
        return this.list(zone, query);
      case 'instances.get':
        return structuredClone(this.instance(zone, name).json);
      case 'instances.delete':
        return this.deleteInstance(zone, name, query.get('requestId'));
      case 'instances.stop':
        return this.stopInstance(zone, name, query.get('requestId'));
      case 'instances.start':
        return this.startInstance(zone, name, query.get('requestId'));
      case 'zoneOperations.get':
        return structuredClone(this.operation(zone, name).json);
      case 'zoneOperations.wait':
        return this.waitOperation(zone, name);
      case 'machineTypes.get':
        return this.machineType(zone, name);
    }
    throw new ApiError(404, 'notFound', `No such method: ${method}`);
  }

  // ---- instances ----

  private bulkInsert(zone: string, requestId: string | null, body: unknown): unknown {
    validateRequestId(requestId);
    const replay = requestId ? this.byRequestId.get(requestId) : undefined;
    if (replay) return structuredClone(replay.json);
    const valid = validateBulkInsert(body, this.validationContext(zone), (n) =>
      this.store.has(`${zone}/${n}`),
    );
    const count = valid.names.length;
    const nicCount = (valid.properties['networkInterfaces'] as unknown[]).length;
    const fault: BulkInsertFault | undefined =
      this.internal.free() < count * nicCount
        ? {
            code: 'IP_SPACE_EXHAUSTED',
            message: `The subnetwork has no free IP addresses for ${count} instance(s).`,
          }
        : this.takeBulkFault(zone);
    if (fault?.stage === 'http') throw this.capacityHttpError(fault, zone);
    const op = this.newOperation(zone, 'bulkInsert', `${this.zoneUrl(zone)}`, requestId);
    const status = (created: number, failed: number) => ({
      [`zones/${zone}`]: {
        status: 'DONE',
        targetVmCount: count,
        createdVmCount: created,
        failedToCreateVmCount: failed,
        deletedVmCount: 0,
      },
    });
    if (fault) {
      this.later(this.operationDelay(), () =>
        this.finishOperation(op, {
          error: { errors: [{ code: fault.code, message: this.capacityMessage(fault, zone) }] },
          httpErrorStatusCode: fault.code.startsWith('QUOTA') ? 403 : 503,
          httpErrorMessage: fault.code.startsWith('QUOTA') ? 'FORBIDDEN' : 'SERVICE UNAVAILABLE',
          instancesBulkInsertOperationMetadata: { perLocationStatus: status(0, count) },
        }),
      );
    } else {
      for (const name of valid.names) this.createInstance(zone, name, valid.properties, valid.image);
      this.later(this.operationDelay(), () =>
        this.finishOperation(op, {
          instancesBulkInsertOperationMetadata: { perLocationStatus: status(count, 0) },
        }),
      );
    }
    return structuredClone(op.json);
  }

  private createInstance(
    zone: string,
    name: string,
    props: Record<string, unknown>,
    image: CatalogImage,
  ): void {
    const zoneUrl = this.zoneUrl(zone);
    const nicsIn = props['networkInterfaces'] as Record<string, unknown>[];
    const nics: GceInstanceJson['networkInterfaces'] = nicsIn.map((nic, i) => {
      const sub = nic['subnetwork'] as string | undefined;
      const access = nic['accessConfigs'] as { name?: string }[] | undefined;
      return {
        kind: 'compute#networkInterface',
        name: `nic${i}`,
        network: this.absolute((nic['network'] as string | undefined) ?? 'global/networks/default'),
        subnetwork: this.absolute(sub ?? `regions/${regionOf(zone)}/subnetworks/default`),
        networkIP: this.internal.take(),
        stackType: 'IPV4_ONLY',
        fingerprint: fingerprint(),
        ...(access
          ? {
              accessConfigs: access.map((a) => ({
                kind: 'compute#accessConfig' as const,
                type: 'ONE_TO_ONE_NAT',
                name: a.name ?? 'External NAT',
                networkTier: 'PREMIUM',
                ...(this.options.externalIps ? { natIP: this.external.take() } : {}),
              })),
            }
          : {}),
      };
    });
    const disksIn = props['disks'] as Record<string, unknown>[];
    const disks = disksIn.map((d, index) => {
      const init = (d['initializeParams'] ?? {}) as Record<string, unknown>;
      const scratch = d['type'] === 'SCRATCH';
      return {
        kind: 'compute#attachedDisk',
        type: scratch ? 'SCRATCH' : 'PERSISTENT',
        mode: 'READ_WRITE',
        ...(scratch ? {} : { source: `${zoneUrl}/disks/${index === 0 ? name : `${name}-${index}`}` }),
        deviceName: scratch ? `local-ssd-${index - 1}` : `persistent-disk-${index}`,
        index,
        boot: d['boot'] === true,
        autoDelete: d['autoDelete'] !== false,
        interface: (d['interface'] as string | undefined) ?? 'SCSI',
        diskSizeGb: scratch ? '375' : String(init['diskSizeGb'] ?? image.diskSizeGb),
      };
    });
    const s = (props['scheduling'] ?? {}) as Record<string, unknown>;
    const spot = s['provisioningModel'] === 'SPOT';
    const preemptible = s['preemptible'] === true;
    const accelerators = props['guestAccelerators'] as
      | { acceleratorType: string; acceleratorCount: number }[]
      | undefined;
    const labels = props['labels'] as Record<string, string> | undefined;
    const tags = props['tags'] as { items?: string[] } | undefined;
    const metadata = props['metadata'] as { items?: { key: string; value: string }[] } | undefined;
    const json: GceInstanceJson = {
      kind: 'compute#instance',
      id: String(this.nextId++),
      creationTimestamp: new Date().toISOString(),
      name,
      zone: zoneUrl,
      machineType: `${zoneUrl}/machineTypes/${props['machineType']}`,
      status: 'PROVISIONING',
      ...(labels && Object.keys(labels).length > 0 ? { labels: { ...labels } } : {}),
      labelFingerprint: fingerprint(),
      ...(tags?.items ? { tags: { items: [...tags.items], fingerprint: fingerprint() } } : {}),
      metadata: {
        kind: 'compute#metadata',
        fingerprint: fingerprint(),
        ...(metadata?.items ? { items: metadata.items.map((i) => ({ ...i })) } : {}),
      },
      networkInterfaces: nics,
      disks,
      scheduling: {
        onHostMaintenance: preemptible || spot || accelerators ? 'TERMINATE' : 'MIGRATE',
        automaticRestart: !(preemptible || spot),
        preemptible,
        provisioningModel: spot ? 'SPOT' : 'STANDARD',
        ...s,
      },
      ...(accelerators
        ? {
            guestAccelerators: accelerators.map((a) => ({
              acceleratorType: `${zoneUrl}/acceleratorTypes/${a.acceleratorType}`,
              acceleratorCount: a.acceleratorCount,
            })),
          }
        : {}),
      ...(props['minCpuPlatform'] ? { minCpuPlatform: String(props['minCpuPlatform']) } : {}),
      cpuPlatform: (props['minCpuPlatform'] as string | undefined) ?? 'Intel Broadwell',
      selfLink: `${zoneUrl}/instances/${name}`,
      canIpForward: false,
      deletionProtection: false,
      startRestricted: false,
      fingerprint: fingerprint(),
    };
    const stored: StoredInstance = { zone, json };
    this.store.set(`${zone}/${name}`, stored);
    this.bootToRunning(stored, this.runHooks(this.inserted, json));
  }

  /** STAGING at half the delay, RUNNING once the delay has passed and `ready` settled. */
  private bootToRunning(stored: StoredInstance, ready: Promise<void>): void {
    const delay = this.options.runningDelayMs ?? 200;
    this.later(delay / 2, () => {
      if (stored.json.status === 'PROVISIONING') stored.json.status = 'STAGING';
    });
    void Promise.all([this.sleep(delay), ready]).then(() => {
      if (this.stopped || stored.deleting) return;
      if (stored.json.status === 'PROVISIONING' || stored.json.status === 'STAGING') {
        stored.json.status = 'RUNNING';
        stored.json.lastStartTimestamp = new Date().toISOString();
      }
    });
  }

  private list(zone: string, query: URLSearchParams): unknown {
    const max = query.get('maxResults') === null ? MAX_RESULTS : Number(query.get('maxResults'));
    if (!Number.isInteger(max) || max < 0 || max > MAX_RESULTS) {
      throw invalid('maxResults', query.get('maxResults'), `Must be between 0 and ${MAX_RESULTS}.`);
    }
    const filter = query.get('filter') ?? '';
    const matches = compileFilter(filter);
    const all = [...this.store.values()]
      .filter((s) => s.zone === zone && matches(s.json))
      .map((s) => s.json)
      .sort((a, b) => a.name.localeCompare(b.name));
    let offset = 0;
    const token = query.get('pageToken');
    if (token) {
      const parsed = decodePageToken(token);
      if (!parsed || parsed.filter !== filter) throw invalid('pageToken', token, 'Invalid page token.');
      offset = parsed.offset;
    }
    const size = max === 0 ? MAX_RESULTS : max;
    const page = all.slice(offset, offset + size);
    const next = offset + size < all.length ? encodePageToken({ offset: offset + size, filter }) : undefined;
    return {
      kind: 'compute#instanceList',
      id: `projects/${this.project}/zones/${zone}/instances`,
      ...(page.length > 0 ? { items: structuredClone(page) } : {}),
      ...(next ? { nextPageToken: next } : {}),
      selfLink: `${this.zoneUrl(zone)}/instances`,
    };
  }

  private deleteInstance(zone: string, name: string, requestId: string | null): unknown {
    validateRequestId(requestId);
    const stored = this.instance(zone, name);
    const op = this.newOperation(zone, 'delete', stored.json.selfLink, requestId, stored.json.id);
    if (!stored.deleting) {
      stored.json.status = 'STOPPING';
      stored.deleting = this.sleep(this.operationDelay()).then(async () => {
        this.store.delete(`${zone}/${name}`);
        this.release(stored.json);
        await this.runHooks(this.deleted, structuredClone(stored.json));
      });
    }
    void stored.deleting.then(() => this.finishOperation(op, {}));
    return structuredClone(op.json);
  }

  private stopInstance(zone: string, name: string, requestId: string | null): unknown {
    validateRequestId(requestId);
    const stored = this.instance(zone, name);
    if (stored.deleting)
      throw new ApiError(400, 'resourceNotReady', `The resource '${this.path(stored)}' is not ready`);
    const op = this.newOperation(zone, 'stop', stored.json.selfLink, requestId, stored.json.id);
    if (stored.json.status === 'TERMINATED') {
      this.later(0, () => this.finishOperation(op, {}));
      return structuredClone(op.json);
    }
    stored.json.status = 'STOPPING';
    this.later(this.operationDelay(), () => {
      stored.json.status = 'TERMINATED';
      stored.json.lastStopTimestamp = new Date().toISOString();
      for (const nic of stored.json.networkInterfaces) {
        for (const a of nic.accessConfigs ?? []) {
          if (a.natIP) this.external.give(a.natIP);
          delete a.natIP;
        }
      }
      this.finishOperation(op, {});
    });
    return structuredClone(op.json);
  }

  private startInstance(zone: string, name: string, requestId: string | null): unknown {
    validateRequestId(requestId);
    const stored = this.instance(zone, name);
    if (stored.deleting || stored.json.status === 'STOPPING') {
      throw new ApiError(400, 'resourceNotReady', `The resource '${this.path(stored)}' is not ready`);
    }
    const op = this.newOperation(zone, 'start', stored.json.selfLink, requestId, stored.json.id);
    if (stored.json.status !== 'TERMINATED') {
      this.later(0, () => this.finishOperation(op, {}));
      return structuredClone(op.json);
    }
    stored.json.status = 'STAGING';
    if (this.options.externalIps) {
      for (const nic of stored.json.networkInterfaces)
        for (const a of nic.accessConfigs ?? []) a.natIP = this.external.take();
    }
    this.later(this.options.runningDelayMs ?? 200, () => {
      if (stored.json.status === 'STAGING') stored.json.status = 'RUNNING';
      stored.json.lastStartTimestamp = new Date().toISOString();
      this.finishOperation(op, {});
    });
    return structuredClone(op.json);
  }

  private instance(zone: string, name: string): StoredInstance {
    const stored = this.store.get(`${zone}/${name}`);
    if (!stored) throw notFound(`projects/${this.project}/zones/${zone}/instances/${name}`);
    return stored;
  }

  private release(json: GceInstanceJson): void {
    for (const nic of json.networkInterfaces) {
      this.internal.give(nic.networkIP);
      for (const a of nic.accessConfigs ?? []) if (a.natIP) this.external.give(a.natIP);
    }
  }

  // ---- operations ----

  private newOperation(
    zone: string,
    operationType: string,
    targetLink: string,
    requestId: string | null,
    targetId?: string,
  ): StoredOp {
    const name = `operation-${Date.now()}-${randomBytes(7).toString('hex').slice(0, 13)}-${randomBytes(4).toString('hex')}-${randomBytes(4).toString('hex')}`;
    const now = new Date().toISOString();
    const op: StoredOp = {
      zone,
      waiters: new Set(),
      json: {
        kind: 'compute#operation',
        id: String(this.nextId++),
        name,
        zone: this.zoneUrl(zone),
        operationType,
        targetLink,
        ...(targetId ? { targetId } : {}),
        status: 'RUNNING',
        user: 'herd-test@fake.invalid',
        progress: 0,
        insertTime: now,
        startTime: now,
        selfLink: `${this.zoneUrl(zone)}/operations/${name}`,
      },
    };
    this.ops.set(`${zone}/${name}`, op);
    if (requestId) this.byRequestId.set(requestId, op);
    return op;
  }

  private finishOperation(op: StoredOp, extra: Record<string, unknown>): void {
    Object.assign(op.json, extra, { status: 'DONE', progress: 100, endTime: new Date().toISOString() });
    for (const w of op.waiters) w();
    op.waiters.clear();
  }

  private operation(zone: string, name: string): StoredOp {
    const op = this.ops.get(`${zone}/${name}`);
    if (!op) throw notFound(`projects/${this.project}/zones/${zone}/operations/${name}`);
    return op;
  }

  private async waitOperation(zone: string, name: string): Promise<unknown> {
    const op = this.operation(zone, name);
    if (op.json['status'] !== 'DONE') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.waitTimeoutMs ?? 120_000);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        op.waiters.add(done);
      });
    }
    return structuredClone(op.json);
  }

  // ---- faults ----

  private takeBulkFault(zone: string): BulkInsertFault | undefined {
    const fault = this.bulkFaults.find((f) => f.left > 0 && (f.zone === undefined || f.zone === zone));
    if (fault) fault.left--;
    return fault;
  }

  private capacityMessage(fault: BulkInsertFault, zone: string): string {
    if (fault.message) return fault.message;
    if (fault.code.startsWith('QUOTA'))
      return `Quota 'CPUS' exceeded.  Limit: 24.0 in region ${regionOf(zone)}.`;
    if (fault.code.startsWith('ZONE_RESOURCE_POOL_EXHAUSTED')) {
      return `The zone 'projects/${this.project}/zones/${zone}' does not have enough resources available to fulfill the request.  Try a different zone, or try again later.`;
    }
    return 'Internal error. Please try again or contact Google Support.';
  }

  private capacityHttpError(fault: BulkInsertFault, zone: string): ApiError {
    const quota = fault.code.startsWith('QUOTA');
    return new ApiError(
      quota ? 403 : 503,
      quota ? 'quotaExceeded' : fault.code,
      this.capacityMessage(fault, zone),
    );
  }

  // ---- catalog ----

  private getImage(method: string, project: string, name: string): unknown {
    const source =
      method === 'images.getFromFamily'
        ? `projects/${project}/global/images/family/${name}`
        : `projects/${project}/global/images/${name}`;
    const image = findImage(source, { project: this.project, projectImages: this.projectImages }, 'image');
    return {
      kind: 'compute#image',
      id: String(BigInt(`0x${Buffer.from(image.name).toString('hex').slice(0, 15)}`)),
      name: image.name,
      family: image.family,
      status: 'READY',
      diskSizeGb: String(image.diskSizeGb),
      architecture: 'X86_64',
      selfLink: `${BASE}projects/${image.project}/global/images/${image.name}`,
    };
  }

  private machineType(zone: string, name: string): unknown {
    if (!isMachineType(name)) throw notFound(`projects/${this.project}/zones/${zone}/machineTypes/${name}`);
    return {
      kind: 'compute#machineType',
      name,
      ...machineShape(name),
      zone,
      isSharedCpu: /micro|small|medium/.test(name),
      selfLink: `${this.zoneUrl(zone)}/machineTypes/${name}`,
    };
  }

  private zone(zone: string): unknown {
    return {
      kind: 'compute#zone',
      id: String(2000 + ZONES.indexOf(zone as (typeof ZONES)[number])),
      name: zone,
      description: zone,
      status: 'UP',
      region: `${BASE}projects/${this.project}/regions/${regionOf(zone)}`,
      selfLink: this.zoneUrl(zone),
    };
  }

  /** A Region with its quotas; usage counts the region's instances that hold resources (not TERMINATED). */
  private region(region: string): unknown {
    const zones = ZONES.filter((z) => regionOf(z) === region);
    if (zones.length === 0) throw notFound(`projects/${this.project}/regions/${region}`);
    const live = [...this.store.values()].filter(
      (s) => regionOf(s.zone) === region && s.json.status !== 'TERMINATED',
    );
    const cpus = live.reduce((n, s) => n + machineShape(s.json.machineType.split('/').at(-1)!).guestCpus, 0);
    const limits = { CPUS: 24, INSTANCES: 24, IN_USE_ADDRESSES: 8, ...this.options.quotas };
    return {
      kind: 'compute#region',
      id: String(1000 + [...new Set(ZONES.map(regionOf))].indexOf(region)),
      name: region,
      description: region,
      status: 'UP',
      zones: zones.map((z) => this.zoneUrl(z)),
      quotas: [
        { metric: 'CPUS', limit: limits.CPUS, usage: cpus },
        { metric: 'INSTANCES', limit: limits.INSTANCES, usage: live.length },
        {
          metric: 'IN_USE_ADDRESSES',
          limit: limits.IN_USE_ADDRESSES,
          usage: live.filter((s) =>
            s.json.networkInterfaces.some((n) => n.accessConfigs?.some((a) => a.natIP)),
          ).length,
        },
      ],
      selfLink: `${BASE}projects/${this.project}/regions/${region}`,
    };
  }

  private validationContext(zone: string): ValidationContext {
    return {
      project: this.project,
      zone,
      networks: this.networks,
      subnetworks: this.subnetworks,
      projectImages: this.projectImages,
    };
  }

  // ---- helpers ----

  private zoneUrl(zone: string): string {
    return `${BASE}projects/${this.project}/zones/${zone}`;
  }

  private path(stored: StoredInstance): string {
    return `projects/${this.project}/zones/${stored.zone}/instances/${stored.json.name}`;
  }

  private absolute(pathOrUrl: string): string {
    if (pathOrUrl.startsWith('https://')) return pathOrUrl;
    return pathOrUrl.startsWith('projects/')
      ? `${BASE}${pathOrUrl}`
      : `${BASE}projects/${this.project}/${pathOrUrl}`;
  }

  private operationDelay(): number {
    return this.options.operationDelayMs ?? 20;
  }

  private later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  private async runHooks(hooks: readonly Hook[], instance: GceInstanceJson): Promise<void> {
    const results = await Promise.allSettled(hooks.map(async (h) => h(structuredClone(instance))));
    for (const r of results) {
      if (r.status === 'rejected')
        this.hookErrors.push(r.reason instanceof Error ? r.reason : new Error(String(r.reason)));
    }
  }
}

function fingerprint(): string {
  return randomBytes(8).toString('base64');
}

function encodePageToken(t: { offset: number; filter: string }): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodePageToken(token: string): { offset: number; filter: string } | undefined {
  try {
    const t = JSON.parse(Buffer.from(token, 'base64url').toString('utf8')) as {
      offset?: unknown;
      filter?: unknown;
    };
    return typeof t.offset === 'number' && typeof t.filter === 'string'
      ? { offset: t.offset, filter: t.filter }
      : undefined;
  } catch {
    return undefined;
  }
}
