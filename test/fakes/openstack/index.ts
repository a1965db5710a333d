/**
 * A fake OpenStack cloud on 127.0.0.1, written from the published API references (no OpenStack can
 * run here: a Nova alone needs hundreds of packages, a database, a queue and Keystone). It serves
 * Keystone v3 (password and application credential tokens, a service catalog per interface and
 * region), Nova (servers with their BUILD -> ACTIVE life or ERROR with a fault, flavors, key pairs,
 * server groups, microversions), Neutron (networks, ports, security groups and rules, floating IPs,
 * tags), Glance (images) and the Cinder calls that show boot volumes; it validates what herd and the
 * openstack CLI send, counts calls and injects faults. It imports only node: modules, so a benchmark
 * can compile it on its own with tsc.
 */

import { waitUntil } from '../activity.js';
import type {
  FloatingIp,
  KeyPair,
  Port,
  SecurityGroup,
  SecurityGroupRule,
  ServerGroup,
  Volume,
} from './cloud.js';
import { FakeOpenStackServer } from './server.js';
import type {
  FakeOpenStackOptions,
  RequestFault,
  RequestRecord,
  SchedulingFault,
  ServerJson,
} from './types.js';

export type {
  FakeOpenStackOptions,
  RequestFault,
  RequestRecord,
  SchedulingFault,
  ServerJson,
} from './types.js';

/** A running fake. */
export interface FakeOpenStack {
  /** `http://127.0.0.1:PORT`. */
  readonly url: string;
  /** The Keystone v3 URL (auth_url / OS_AUTH_URL). */
  readonly authUrl: string;
  readonly projectId: string;
  /** Requests received, by operation (`compute.servers.create`, `network.floatingips.list`, ...). */
  readonly calls: Readonly<Record<string, number>>;
  /** Every request, in order (token requests with secrets masked). */
  readonly requests: readonly RequestRecord[];
  /** Tokens issued, by auth method. */
  readonly tokensIssued: Readonly<Record<string, number>>;
  /** A project-scoped token of the first user (password auth through the Keystone route). */
  token(): Promise<string>;
  /** Current resources (copies). */
  servers(): ServerJson[];
  ports(): Port[];
  floatingIps(): FloatingIp[];
  volumes(): Volume[];
  keyPairs(): KeyPair[];
  securityGroups(): SecurityGroup[];
  securityGroupRules(): SecurityGroupRule[];
  serverGroups(): ServerGroup[];
  /** Networks by name, with id and CIDR. */
  networks(): { id: string; name: string; cidr: string; external: boolean }[];
  images(): { id: string; name: string }[];
  /**
   * Called when a server starts spawning (it has its fixed IPs); it turns ACTIVE once the promise
   * settles, as a real server does once its guest has booted. `userData` is base64, as sent.
   */
  onServerSpawning(cb: (server: ServerJson, userData: string | undefined) => void | Promise<void>): void;
  /** Called once a server is deleted. */
  onServerDeleted(cb: (server: ServerJson) => void | Promise<void>): void;
  /** Called for every request as it arrives (before it is answered). */
  onRequest(cb: (record: RequestRecord) => void): void;
  /** Makes matching requests fail with an HTTP error in the service's error format. */
  failRequests(fault: RequestFault): void;
  /** Makes Nova fail to place servers ("No valid host"). */
  failScheduling(fault: SchedulingFault): void;
  /** Drops every injected fault that is left. */
  clearFaults(): void;
  /** Expires every token (as if revoked). */
  expireTokens(): void;
  /** Changes the highest Nova microversion. */
  setMaxMicroversion(version: string): void;
  resetCalls(): void;
  /**
   * Resolves once no client is connected, no request is being answered and no server is still
   * being scheduled (placed with its ports and volume) or deleted; a spawning server (its guest
   * booting) counts as settled.
   */
  settled(): Promise<void>;
  /** Errors thrown by the hooks. */
  readonly hookErrors: readonly Error[];
  stop(): Promise<void>;
}

/** Starts a fake on a free loopback port. */
export async function startFakeOpenStack(options: FakeOpenStackOptions = {}): Promise<FakeOpenStack> {
  const server = new FakeOpenStackServer(options);
  await server.listen();
  const cloud = server.cloud;
  const copy = <T>(items: Iterable<T>): T[] => [...items].map((i) => structuredClone(i));
  return {
    get url() {
      return server.url;
    },
    get authUrl() {
      return `${server.url}/v3`;
    },
    projectId: cloud.projectId,
    get calls() {
      return server.calls;
    },
    get requests() {
      return server.requests;
    },
    get tokensIssued() {
      return server.keystone.issued;
    },
    async token() {
      const user = server.keystone.users[0]!;
      const project = server.keystone.projects[0]!;
      const response = await fetch(`${server.url}/v3/auth/tokens`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          auth: {
            identity: { methods: ['password'], password: { user: { id: user.id, password: user.password } } },
            scope: { project: { id: project.id } },
          },
        }),
      });
      const token = response.headers.get('x-subject-token');
      if (response.status !== 201 || !token)
        throw new Error(`the fake refused its own user: HTTP ${response.status}`);
      return token;
    },
    servers: () => copy([...cloud.servers.values()].map((s) => s.json)),
    ports: () => copy(cloud.ports.values()),
    floatingIps: () => copy(cloud.floatingIps.values()),
    volumes: () => copy(cloud.volumes.values()),
    keyPairs: () => copy(cloud.keyPairs.values()),
    securityGroups: () => copy(cloud.securityGroups.values()),
    securityGroupRules: () => copy(cloud.rules.values()),
    serverGroups: () => copy(cloud.serverGroups.values()),
    networks: () =>
      [...cloud.networks.values()].map((n) => ({
        id: n.id,
        name: n.name,
        cidr: n.cidr,
        external: n.external,
      })),
    images: () => cloud.images.map((i) => ({ id: i.id, name: i.name })),
    onServerSpawning: (cb) => {
      cloud.created.push(cb);
    },
    onServerDeleted: (cb) => {
      cloud.deleted.push((s) => cb(s));
    },
    onRequest: (cb) => {
      server.requestHooks.push(cb);
    },
    failRequests: (fault) => server.addFault(fault),
    failScheduling: (fault) => {
      cloud.schedulingFaults.push({ ...fault, left: fault.times ?? Number.POSITIVE_INFINITY });
    },
    clearFaults: () => {
      server.clearFaults();
      cloud.schedulingFaults.length = 0;
    },
    expireTokens: () => server.keystone.expireTokens(),
    setMaxMicroversion: (version) => {
      server.maxMicroversion = version;
    },
    resetCalls: () => {
      server.calls = {};
      server.requests = [];
    },
    settled: () =>
      waitUntil(
        () =>
          server.activity.quiet &&
          [...cloud.servers.values()].every(
            (s) => !s.deleting && s.json['OS-EXT-STS:task_state'] !== 'scheduling',
          ),
      ),
    hookErrors: cloud.hookErrors,
    stop: () => server.close(),
  };
}
