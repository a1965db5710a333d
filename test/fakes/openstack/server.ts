/** The fake's HTTP server: paths per service, token checks, call counting and fault injection. */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ServerActivity } from '../activity.js';
import { FakeCloudState } from './cloud.js';
import { errorBody, FakeApiError } from './errors.js';
import { glanceCinderRoutes } from './glance-cinder.js';
import { Keystone } from './keystone.js';
import { neutronRoutes } from './neutron.js';
import { novaRoutes, requestedVersion } from './nova.js';
import type { Route, RouteContext } from './routes.js';
import type { FakeOpenStackOptions, FakeService, RequestFault, RequestRecord } from './types.js';

const PREFIXES: readonly (readonly [string, FakeService])[] = [
  ['/compute', 'compute'],
  ['/network', 'network'],
  ['/image', 'image'],
  ['/volume', 'volume'],
];

/** Replaces secrets in a token request before it is recorded. */
function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [
        k,
        (k === 'password' || k === 'secret') && typeof v === 'string' ? '***' : redact(v),
      ]),
    );
  }
  return value;
}

/** The HTTP side of the fake (see index.ts for the test-facing API). */
export class FakeOpenStackServer {
  url = '';
  port = 0;
  calls: Record<string, number> = {};
  requests: RequestRecord[] = [];
  readonly keystone: Keystone;
  readonly cloud: FakeCloudState;
  maxMicroversion: string;
  private readonly server: Server;
  readonly activity: ServerActivity;
  private readonly routes: Record<FakeService, Route[]>;
  private readonly faults: (RequestFault & { left: number })[] = [];
  readonly requestHooks: ((record: RequestRecord) => void)[] = [];

  constructor(readonly options: FakeOpenStackOptions) {
    this.keystone = new Keystone(options);
    this.cloud = new FakeCloudState(options, this.keystone.projects[0]!.id, this.keystone.users[0]!.id);
    this.maxMicroversion = options.maxMicroversion ?? '2.96';
    this.routes = {
      identity: this.keystone.routes((_base, projectId) => this.catalog(projectId)),
      compute: novaRoutes(() => this.maxMicroversion),
      network: neutronRoutes(),
      image: glanceCinderRoutes().filter((r) => r.name.startsWith('image.')),
      volume: glanceCinderRoutes().filter((r) => r.name.startsWith('volume.')),
    };
    this.server = createServer((req, res) => void this.activity.track(this.handle(req, res)));
    this.activity = new ServerActivity(this.server);
  }

  async listen(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    this.url = `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    this.cloud.stop();
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  clearFaults(): void {
    this.faults.length = 0;
  }

  addFault(fault: RequestFault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  /** Every service, with a public, an internal and an admin endpoint, in the fake's region. */
  catalog(projectId: string): unknown[] {
    const services: [string, string, string][] = [
      ['identity', 'keystone', ''],
      ['compute', 'nova', '/compute/v2.1'],
      ['network', 'neutron', '/network'],
      ['image', 'glance', '/image'],
      ['volumev3', 'cinderv3', `/volume/v3/${projectId}`],
      ['block-storage', 'cinder', `/volume/v3/${projectId}`],
    ];
    const region = this.cloud.region;
    return services.map(([type, name, path]) => ({
      id: randomUUID().replaceAll('-', ''),
      type,
      name,
      endpoints: (['public', 'internal', 'admin'] as const).map((iface) => ({
        id: randomUUID().replaceAll('-', ''),
        interface: iface,
        region,
        region_id: region,
        url: `${this.url}${iface === 'public' ? '' : `/${iface}`}${path}`,
      })),
    }));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const url = new URL(req.url ?? '/', 'http://fake');
    let path = url.pathname;
    let base = this.url;
    for (const iface of ['/internal', '/admin']) {
      if (path === iface || path.startsWith(`${iface}/`)) {
        path = path.slice(iface.length) || '/';
        base = `${this.url}${iface}`;
      }
    }
    let service: FakeService = 'identity';
    for (const [prefix, name] of PREFIXES) {
      if (path === prefix || path.startsWith(`${prefix}/`)) {
        service = name;
        path = path.slice(prefix.length) || '/';
      }
    }
    const route = this.routes[service].find((r) => r.method === req.method && r.pattern.test(path));
    const name = route?.name ?? `${service}.unknown ${req.method} ${path}`;
    let body: unknown;
    const text = Buffer.concat(chunks).toString('utf8');
    try {
      body = text === '' ? undefined : JSON.parse(text);
    } catch {
      body = Symbol.for('unparsable');
    }
    const query: Record<string, string[]> = {};
    for (const [k, v] of url.searchParams) {
      query[k] ??= [];
      query[k].push(v);
    }
    const record: RequestRecord = {
      service,
      name,
      method: req.method ?? '',
      path: url.pathname,
      query,
      body: name === 'identity.tokens.issue' ? redact(body) : body,
    };
    this.calls[name] = (this.calls[name] ?? 0) + 1;
    this.requests.push(record);
    for (const hook of this.requestHooks) hook(record);
    const headers: Record<string, string> = { 'x-openstack-request-id': `req-${randomUUID()}` };
    try {
      if (typeof body === 'symbol') throw new FakeApiError(400, 'Malformed request body');
      if (!route) throw new FakeApiError(404, 'The resource could not be found.');
      const token = route.open
        ? undefined
        : this.keystone.validate(String(req.headers['x-auth-token'] ?? ''));
      let microversion = '2.1';
      if (service === 'compute') {
        microversion = requestedVersion(req.headers, this.maxMicroversion);
        record.microversion = microversion;
        Object.assign(headers, {
          'openstack-api-version': `compute ${microversion}`,
          'x-openstack-nova-api-version': microversion,
          vary: 'OpenStack-API-Version, X-OpenStack-Nova-API-Version',
        });
      }
      this.injectFault(name);
      const ctx: RouteContext = {
        params: route.pattern.exec(path)!.slice(1).map(decodeURIComponent),
        query: url.searchParams,
        body,
        headers: req.headers,
        token,
        microversion,
        base,
        cloud: this.cloud,
      };
      const result = await route.handle(ctx);
      Object.assign(headers, result.headers);
      this.send(
        res,
        result.status,
        result.body === undefined
          ? undefined
          : { type: 'application/json', text: JSON.stringify(result.body) },
        headers,
      );
    } catch (error) {
      const e =
        error instanceof FakeApiError ? error : new FakeApiError(500, `Unexpected error: ${String(error)}`);
      this.send(res, e.status, errorBody(service, e), { ...headers, ...e.headers });
    }
  }

  private injectFault(name: string): void {
    const fault = this.faults.find((f) => f.left > 0 && (f.match === name || name.startsWith(`${f.match}.`)));
    if (!fault) return;
    fault.left--;
    throw new FakeApiError(
      fault.status,
      fault.message ?? `Injected HTTP ${fault.status}`,
      undefined,
      fault.retryAfter === undefined ? {} : { 'retry-after': String(fault.retryAfter) },
    );
  }

  private send(
    res: ServerResponse,
    status: number,
    body: { type: string; text: string } | undefined,
    headers: Record<string, string>,
  ): void {
    if (res.destroyed) return;
    res.statusCode = status;
    for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
    if (body) {
      res.setHeader('content-type', body.type);
      res.end(body.text);
    } else res.end();
  }
}
