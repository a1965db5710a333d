/** Types of the fake OpenStack cloud (Keystone v3, Nova, Neutron, Glance, Cinder). */

/** A service of the fake, by the catalog type it answers for. */
export type FakeService = 'identity' | 'compute' | 'network' | 'image' | 'volume';

/** Options of `startFakeOpenStack`. */
export interface FakeOpenStackOptions {
  /** Region of every catalog endpoint (default RegionOne). */
  region?: string;
  /** Users: name, id, password, domain id (default: herd / secret in domain default). */
  users?: { id?: string; name: string; password: string; domainId?: string }[];
  /** Projects (default: herd-project in domain default); every user is a member of every project. */
  projects?: { id?: string; name: string; domainId?: string }[];
  /** Application credentials: id, name, secret, user name, project name. */
  applicationCredentials?: { id: string; name: string; secret: string; user: string; project: string }[];
  /** Token lifetime (default 1 hour). */
  tokenTtlMs?: number;
  /** The private network's subnet: servers get fixed IPs from it, lowest first (default 10.120.9.0/24). */
  privateSubnet?: string;
  /** More internal networks: name -> CIDR. */
  extraNetworks?: Record<string, string>;
  /** The external network's subnet: floating IPs come from it (default 203.0.113.0/24). */
  externalSubnet?: string;
  /** Availability zones (default: nova). */
  zones?: string[];
  /** Hosts per zone: an anti-affinity group cannot hold more members than this (default 64). */
  hostsPerZone?: number;
  /** Images (default: debian-12 and cirros). */
  images?: { id?: string; name: string; status?: string; minDiskGiB?: number }[];
  /** Flavors (default m1.tiny, m1.small, m1.medium, m1.large). */
  flavors?: { id: string; name: string; vcpus: number; ramMiB: number; diskGiB: number }[];
  /** Volume types (default __DEFAULT__ and ssd). */
  volumeTypes?: string[];
  /** Highest Nova microversion (default 2.96, OpenStack 2024.1). */
  maxMicroversion?: string;
  /** Quotas of the project (default: unlimited). */
  quota?: { instances?: number; cores?: number; floatingips?: number };
  /** Time in BUILD/scheduling before a server is placed (default 50 ms). */
  schedulingDelayMs?: number;
  /** Time from placement to ACTIVE, besides the server hook (default 100 ms). */
  spawnDelayMs?: number;
  /** Time a delete takes (default 100 ms). */
  deleteDelayMs?: number;
  /** Largest page a list returns (Nova's osapi_max_limit; default 1000). */
  maxPageSize?: number;
}

/** One received request (secrets and tokens left out). */
export interface RequestRecord {
  service: FakeService | 'unknown';
  /** API operation, e.g. `compute.servers.create`, `network.floatingips.list`. */
  name: string;
  method: string;
  path: string;
  query: Record<string, string[]>;
  body: unknown;
  /** Nova microversion the request asked for (compute only). */
  microversion?: string;
}

/** An HTTP failure of matching requests. */
export interface RequestFault {
  /** Operation name (`compute.servers.create`) or a service (`network`). */
  match: string;
  status: number;
  /** Message of the service's error body. */
  message?: string;
  /** Retry-After header, seconds. */
  retryAfter?: number;
  /** How many requests to fail (default 1). */
  times?: number;
}

/** Servers that Nova cannot place: they go to ERROR with a "No valid host" fault. */
export interface SchedulingFault {
  /** Only in this zone (default: every zone). */
  zone?: string;
  /** Only for servers on this network (name). */
  network?: string;
  /** Fault message (default Nova's "No valid host was found. ..."). */
  message?: string;
  /** How many servers to fail (default: all). */
  times?: number;
}

/** A Nova server as the API returns it in detail. */
export interface ServerJson {
  id: string;
  name: string;
  status: string;
  tenant_id: string;
  user_id: string;
  metadata: Record<string, string>;
  tags: string[];
  addresses: Record<
    string,
    { addr: string; version: number; 'OS-EXT-IPS:type': string; 'OS-EXT-IPS-MAC:mac_addr': string }[]
  >;
  flavor: Record<string, unknown>;
  image: { id: string } | '';
  key_name: string | null;
  created: string;
  updated: string;
  hostId: string;
  accessIPv4: string;
  accessIPv6: string;
  progress: number;
  config_drive: string;
  description: string | null;
  locked: boolean;
  fault?: { code: number; message: string; created: string; details?: string };
  security_groups?: { name: string }[];
  'OS-DCF:diskConfig': string;
  'OS-EXT-AZ:availability_zone': string;
  'OS-EXT-STS:task_state': string | null;
  'OS-EXT-STS:vm_state': string;
  'OS-EXT-STS:power_state': number;
  'OS-SRV-USG:launched_at': string | null;
  'OS-SRV-USG:terminated_at': string | null;
  'os-extended-volumes:volumes_attached': { id: string; delete_on_termination: boolean }[];
  links: { rel: string; href: string }[];
}
