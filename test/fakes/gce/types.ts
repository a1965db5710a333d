/** Types of the fake Compute Engine API. */

/** Options of `startFakeGce`. */
export interface FakeGceOptions {
  /** Project id the fake serves (default `herd-test`). */
  project?: string;
  /** Internal addresses, assigned from `.2` upwards (default 10.87.1.0/24). */
  internalSubnet?: string;
  /** Give instances that ask for ONE_TO_ONE_NAT an external IP from 203.0.113.0/24 (TEST-NET-3). Default false. */
  externalIps?: boolean;
  /** Time from creation (or start) to RUNNING (default 200 ms; STAGING at half of it). */
  runningDelayMs?: number;
  /** Time an insert/stop/delete operation takes (default 20 ms). */
  operationDelayMs?: number;
  /** How long zoneOperations.wait waits for DONE before it returns the running operation (default 120 s, as the API). */
  waitTimeoutMs?: number;
  /** VPC networks (default `default`). */
  networks?: string[];
  /** Subnetworks as `region/name` (default `default` in every region of the fake's zones). */
  subnetworks?: string[];
  /** Custom images of the project: `{name, family?}`. */
  projectImages?: { name: string; family?: string; diskSizeGb?: number }[];
  /** Require this exact bearer token (default: any non-empty token). */
  accessToken?: string;
  /** Regional quota limits reported by regions.get (default CPUS 24, INSTANCES 24, IN_USE_ADDRESSES 8). */
  quotas?: Partial<Record<'CPUS' | 'INSTANCES' | 'IN_USE_ADDRESSES', number>>;
}

/** An Instance resource as the API returns it (JSON). */
export interface GceInstanceJson {
  kind: 'compute#instance';
  id: string;
  creationTimestamp: string;
  name: string;
  zone: string;
  machineType: string;
  status: 'PROVISIONING' | 'STAGING' | 'RUNNING' | 'STOPPING' | 'TERMINATED';
  labels?: Record<string, string>;
  labelFingerprint: string;
  tags?: { items?: string[]; fingerprint: string };
  metadata: { kind: 'compute#metadata'; fingerprint: string; items?: { key: string; value: string }[] };
  networkInterfaces: {
    kind: 'compute#networkInterface';
    name: string;
    network: string;
    subnetwork: string;
    networkIP: string;
    stackType: 'IPV4_ONLY';
    fingerprint: string;
    accessConfigs?: {
      kind: 'compute#accessConfig';
      type: string;
      name: string;
      natIP?: string;
      networkTier: string;
    }[];
  }[];
  disks: Record<string, unknown>[];
  scheduling: Record<string, unknown>;
  guestAccelerators?: { acceleratorType: string; acceleratorCount: number }[];
  minCpuPlatform?: string;
  cpuPlatform: string;
  selfLink: string;
  canIpForward: boolean;
  deletionProtection: boolean;
  startRestricted: boolean;
  fingerprint: string;
  lastStartTimestamp?: string;
  lastStopTimestamp?: string;
}

/** One received request. */
export interface RequestRecord {
  /** API method, e.g. `instances.bulkInsert`. */
  method: string;
  httpMethod: string;
  path: string;
  query: Record<string, string>;
  body: unknown;
}

/** A capacity or quota failure of bulkInsert in a zone. */
export interface BulkInsertFault {
  /** Zone to fail in; undefined = every zone. */
  zone?: string;
  code:
    | 'ZONE_RESOURCE_POOL_EXHAUSTED'
    | 'ZONE_RESOURCE_POOL_EXHAUSTED_WITH_DETAILS'
    | 'QUOTA_EXCEEDED'
    | 'INTERNAL_ERROR'
    | (string & {});
  message?: string;
  /** How many bulkInserts to fail (default: all). */
  times?: number;
  /** `operation` (default): the request is accepted and its Operation ends with this error; `http`: the request is refused. */
  stage?: 'operation' | 'http';
}

/** An HTTP-level failure of one API method. */
export interface RequestFault {
  /** API method, e.g. `instances.delete`. */
  method: string;
  zone?: string;
  status: number;
  reason: string;
  message?: string;
  /** How many requests to fail (default 1). */
  times?: number;
}
