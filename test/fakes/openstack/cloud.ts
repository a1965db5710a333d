/**
 * The fake cloud's state and the behaviour that spans services: a server's life (BUILD/scheduling ->
 * networking -> block_device_mapping -> spawning -> ACTIVE, or ERROR with a fault), the ports Nova
 * creates for it on Neutron networks, the boot volume it creates in Cinder, floating IPs shown in the
 * server's addresses, and what a delete removes (ports, volumes with delete_on_termination, group
 * membership; floating IPs are disassociated, never released).
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { AddressPool } from '../gce/pool.js';
import { FakeApiError } from './errors.js';
import type { FakeOpenStackOptions, SchedulingFault, ServerJson } from './types.js';

export interface Network {
  id: string;
  name: string;
  external: boolean;
  shared: boolean;
  projectId: string;
  subnetId: string;
  cidr: string;
  pool: AddressPool;
  tags: string[];
}

export interface Port {
  id: string;
  name: string;
  network_id: string;
  project_id: string;
  device_id: string;
  device_owner: string;
  mac_address: string;
  fixed_ips: { subnet_id: string; ip_address: string }[];
  security_groups: string[];
  status: string;
  admin_state_up: boolean;
  description: string;
  tags: string[];
}

export interface SecurityGroupRule {
  id: string;
  security_group_id: string;
  direction: string;
  ethertype: string;
  protocol: string | null;
  port_range_min: number | null;
  port_range_max: number | null;
  remote_ip_prefix: string | null;
  remote_group_id: string | null;
  description: string;
  project_id: string;
}

export interface SecurityGroup {
  id: string;
  name: string;
  description: string;
  project_id: string;
  tags: string[];
  stateful: boolean;
}

export interface FloatingIp {
  id: string;
  floating_ip_address: string;
  floating_network_id: string;
  port_id: string | null;
  fixed_ip_address: string | null;
  router_id: string | null;
  status: string;
  description: string;
  project_id: string;
  tags: string[];
}

export interface KeyPair {
  name: string;
  public_key: string;
  fingerprint: string;
  type: string;
  user_id: string;
  created_at: string;
}

export interface ServerGroup {
  id: string;
  name: string;
  policy: string;
  members: string[];
  project_id: string;
  user_id: string;
}

export interface Volume {
  id: string;
  name: string;
  status: string;
  size: number;
  volume_type: string;
  bootable: string;
  availability_zone: string;
  attachments: { server_id: string; attachment_id: string; volume_id: string; device: string; id: string }[];
  metadata: Record<string, string>;
  created_at: string;
  deleteOnTermination: boolean;
}

export interface Image {
  id: string;
  name: string;
  status: string;
  min_disk: number;
}

export interface Flavor {
  id: string;
  name: string;
  vcpus: number;
  ram: number;
  disk: number;
}

/** What a server was asked to be, validated. */
export interface ServerRequest {
  name: string;
  flavor: Flavor;
  image: Image | undefined;
  keyName: string | null;
  networks: Network[];
  securityGroups: SecurityGroup[];
  metadata: Record<string, string>;
  tags: string[];
  zone: string;
  userData: string | undefined;
  bootVolume: { size: number; type: string; imageId: string; deleteOnTermination: boolean } | undefined;
  group: ServerGroup | undefined;
  description: string | null;
}

export interface StoredServer {
  json: ServerJson;
  request: ServerRequest;
  /** Base64 user data, as sent. */
  userData: string | undefined;
  deleting: boolean;
}

type Hook = (server: ServerJson, userData: string | undefined) => void | Promise<void>;

/** Nova's timestamps: `2024-05-01T12:00:00Z` (created, updated, faults). */
export const novaTime = () => new Date().toISOString().replace(/\.\d+Z$/, 'Z');
/** launched_at: microseconds, no zone (`2024-05-01T12:00:00.123000`). */
const launchTime = () => new Date().toISOString().replace(/Z$/, '000');

const NO_VALID_HOST = 'No valid host was found. There are not enough hosts available.';

/** The fake cloud's resources (one project's view plus what its admin would see). */
export class FakeCloudState {
  readonly region: string;
  readonly zones: string[];
  readonly servers = new Map<string, StoredServer>();
  readonly networks = new Map<string, Network>();
  readonly ports = new Map<string, Port>();
  readonly securityGroups = new Map<string, SecurityGroup>();
  readonly rules = new Map<string, SecurityGroupRule>();
  readonly floatingIps = new Map<string, FloatingIp>();
  readonly keyPairs = new Map<string, KeyPair>();
  readonly serverGroups = new Map<string, ServerGroup>();
  readonly volumes = new Map<string, Volume>();
  readonly images: Image[];
  readonly flavors: Flavor[];
  readonly volumeTypes: string[];
  readonly hookErrors: Error[] = [];
  readonly created: Hook[] = [];
  readonly deleted: Hook[] = [];
  readonly schedulingFaults: (SchedulingFault & { left: number })[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(
    readonly options: FakeOpenStackOptions,
    readonly projectId: string,
    readonly userId: string,
  ) {
    this.region = options.region ?? 'RegionOne';
    this.zones = options.zones ?? ['nova'];
    this.images = (options.images ?? [{ name: 'debian-12' }, { name: 'cirros-0.6.2' }]).map((i) => ({
      id: i.id ?? randomUUID(),
      name: i.name,
      status: i.status ?? 'active',
      min_disk: i.minDiskGiB ?? 0,
    }));
    this.flavors = (
      options.flavors ?? [
        { id: '1', name: 'm1.tiny', vcpus: 1, ramMiB: 512, diskGiB: 1 },
        { id: '2', name: 'm1.small', vcpus: 1, ramMiB: 2048, diskGiB: 20 },
        { id: '3', name: 'm1.medium', vcpus: 2, ramMiB: 4096, diskGiB: 40 },
        { id: '4', name: 'm1.large', vcpus: 4, ramMiB: 8192, diskGiB: 80 },
      ]
    ).map((f) => ({ id: f.id, name: f.name, vcpus: f.vcpus, ram: f.ramMiB, disk: f.diskGiB }));
    this.volumeTypes = options.volumeTypes ?? ['__DEFAULT__', 'ssd'];
    this.addNetwork('private', options.privateSubnet ?? '10.120.9.0/24', false);
    for (const [name, cidr] of Object.entries(options.extraNetworks ?? {}))
      this.addNetwork(name, cidr, false);
    this.addNetwork('public', options.externalSubnet ?? '203.0.113.0/24', true);
    this.addSecurityGroup('default', 'Default security group', true);
  }

  private addNetwork(name: string, cidr: string, external: boolean): void {
    const id = randomUUID();
    this.networks.set(id, {
      id,
      name,
      external,
      shared: external,
      projectId: external ? 'admin' : this.projectId,
      subnetId: randomUUID(),
      cidr,
      pool: new AddressPool(cidr),
      tags: [],
    });
  }

  /** A security group with Neutron's two default egress rules (and, for `default`, member ingress). */
  addSecurityGroup(name: string, description: string, isDefault = false): SecurityGroup {
    const group: SecurityGroup = {
      id: randomUUID(),
      name,
      description,
      project_id: this.projectId,
      tags: [],
      stateful: true,
    };
    this.securityGroups.set(group.id, group);
    for (const ethertype of ['IPv4', 'IPv6']) {
      this.addRule({ security_group_id: group.id, direction: 'egress', ethertype });
      if (isDefault)
        this.addRule({
          security_group_id: group.id,
          direction: 'ingress',
          ethertype,
          remote_group_id: group.id,
        });
    }
    return group;
  }

  addRule(
    rule: Partial<SecurityGroupRule> & { security_group_id: string; direction: string; ethertype: string },
  ): SecurityGroupRule {
    const full: SecurityGroupRule = {
      id: randomUUID(),
      protocol: null,
      port_range_min: null,
      port_range_max: null,
      remote_ip_prefix: null,
      remote_group_id: null,
      description: '',
      project_id: this.projectId,
      ...rule,
    };
    this.rules.set(full.id, full);
    return full;
  }

  network(idOrName: string): Network | undefined {
    return this.networks.get(idOrName) ?? [...this.networks.values()].find((n) => n.name === idOrName);
  }

  // ---- servers ----

  /** Creates a server (BUILD/scheduling) and schedules the rest of its life. */
  createServer(request: ServerRequest, userData: string | undefined): ServerJson {
    const id = randomUUID();
    const now = novaTime();
    const json: ServerJson = {
      id,
      name: request.name,
      status: 'BUILD',
      tenant_id: this.projectId,
      user_id: this.userId,
      metadata: { ...request.metadata },
      tags: [...request.tags],
      addresses: {},
      flavor: {
        id: request.flavor.id,
        original_name: request.flavor.name,
        vcpus: request.flavor.vcpus,
        ram: request.flavor.ram,
        disk: request.flavor.disk,
        ephemeral: 0,
        swap: 0,
        extra_specs: {},
      },
      image: request.image && !request.bootVolume ? { id: request.image.id } : '',
      key_name: request.keyName,
      created: now,
      updated: now,
      hostId: '',
      accessIPv4: '',
      accessIPv6: '',
      progress: 0,
      config_drive: '',
      description: request.description,
      locked: false,
      'OS-DCF:diskConfig': 'MANUAL',
      'OS-EXT-AZ:availability_zone': '',
      'OS-EXT-STS:task_state': 'scheduling',
      'OS-EXT-STS:vm_state': 'building',
      'OS-EXT-STS:power_state': 0,
      'OS-SRV-USG:launched_at': null,
      'OS-SRV-USG:terminated_at': null,
      'os-extended-volumes:volumes_attached': [],
      links: [],
    };
    const stored: StoredServer = { json, request, userData, deleting: false };
    this.servers.set(id, stored);
    this.later(this.options.schedulingDelayMs ?? 50, () => void this.place(stored));
    return json;
  }

  private async place(stored: StoredServer): Promise<void> {
    const { json, request } = stored;
    if (stored.deleting) return;
    const fault = this.schedulingFault(request);
    if (fault) {
      Object.assign(json, {
        status: 'ERROR',
        'OS-EXT-STS:vm_state': 'error',
        'OS-EXT-STS:task_state': null,
        fault: { code: 500, message: fault, created: novaTime() },
        updated: novaTime(),
      });
      return;
    }
    json['OS-EXT-AZ:availability_zone'] = request.zone;
    json.hostId = createHash('sha224').update(`${this.projectId}${json.id}`).digest('hex');
    request.group?.members.push(json.id);
    json['OS-EXT-STS:task_state'] = 'networking';
    for (const network of request.networks) this.createPort(stored, network);
    if (request.bootVolume) {
      json['OS-EXT-STS:task_state'] = 'block_device_mapping';
      const volume = this.createVolume(request, json);
      json['os-extended-volumes:volumes_attached'].push({
        id: volume.id,
        delete_on_termination: request.bootVolume.deleteOnTermination,
      });
    }
    json['OS-EXT-STS:task_state'] = 'spawning';
    const booted = this.runHooks(this.created, json, stored.userData);
    await Promise.all([booted, this.sleep(this.options.spawnDelayMs ?? 100)]);
    if (stored.deleting || this.stopped || json.status !== 'BUILD') return;
    Object.assign(json, {
      status: 'ACTIVE',
      'OS-EXT-STS:vm_state': 'active',
      'OS-EXT-STS:task_state': null,
      'OS-EXT-STS:power_state': 1,
      'OS-SRV-USG:launched_at': launchTime(),
      progress: 100,
      updated: novaTime(),
    });
  }

  /** The fault that keeps a server from being placed, if any. */
  private schedulingFault(request: ServerRequest): string | undefined {
    const injected = this.schedulingFaults.find(
      (f) =>
        f.left > 0 &&
        (f.zone === undefined || f.zone === request.zone) &&
        (f.network === undefined || request.networks.some((n) => n.name === f.network)),
    );
    if (injected) {
      injected.left--;
      return injected.message ?? NO_VALID_HOST;
    }
    const group = request.group;
    if (group?.policy === 'anti-affinity') {
      const inZone = group.members.filter((m) => this.servers.get(m)?.request.zone === request.zone).length;
      if (inZone >= (this.options.hostsPerZone ?? 64)) return NO_VALID_HOST;
    }
    if (request.networks.some((n) => n.pool.free() === 0)) {
      return 'Build of instance aborted: Failed to allocate the network(s), not rescheduling. No more IP addresses available on network.';
    }
    return undefined;
  }

  private createPort(stored: StoredServer, network: Network): void {
    const ip = network.pool.take();
    const mac = `fa:16:3e:${randomBytes(3).toString('hex').match(/../g)!.join(':')}`;
    const port: Port = {
      id: randomUUID(),
      name: '',
      network_id: network.id,
      project_id: this.projectId,
      device_id: stored.json.id,
      device_owner: `compute:${stored.request.zone}`,
      mac_address: mac,
      fixed_ips: [{ subnet_id: network.subnetId, ip_address: ip }],
      security_groups: stored.request.securityGroups.map((g) => g.id),
      status: 'ACTIVE',
      admin_state_up: true,
      description: '',
      tags: [],
    };
    this.ports.set(port.id, port);
    const list = stored.json.addresses[network.name] ?? [];
    list.push({ addr: ip, version: 4, 'OS-EXT-IPS:type': 'fixed', 'OS-EXT-IPS-MAC:mac_addr': mac });
    stored.json.addresses[network.name] = list;
  }

  private createVolume(request: ServerRequest, server: ServerJson): Volume {
    const boot = request.bootVolume!;
    const volume: Volume = {
      id: randomUUID(),
      name: '',
      status: 'in-use',
      size: boot.size,
      volume_type: boot.type,
      bootable: 'true',
      availability_zone: request.zone,
      attachments: [],
      metadata: {},
      created_at: new Date().toISOString(),
      deleteOnTermination: boot.deleteOnTermination,
    };
    volume.attachments.push({
      server_id: server.id,
      attachment_id: randomUUID(),
      volume_id: volume.id,
      device: '/dev/vda',
      id: volume.id,
    });
    this.volumes.set(volume.id, volume);
    return volume;
  }

  /** Starts deleting a server; it disappears after the delete delay. */
  deleteServer(id: string): void {
    const stored = this.servers.get(id);
    if (!stored || stored.deleting) return;
    stored.deleting = true;
    stored.json['OS-EXT-STS:task_state'] = 'deleting';
    this.later(this.options.deleteDelayMs ?? 100, () => void this.finishDelete(stored));
  }

  private async finishDelete(stored: StoredServer): Promise<void> {
    const { json } = stored;
    for (const port of [...this.ports.values()].filter((p) => p.device_id === json.id)) this.deletePort(port);
    for (const attached of json['os-extended-volumes:volumes_attached']) {
      const volume = this.volumes.get(attached.id);
      if (!volume) continue;
      volume.attachments = [];
      if (attached.delete_on_termination) this.volumes.delete(volume.id);
      else volume.status = 'available';
    }
    for (const group of this.serverGroups.values())
      group.members = group.members.filter((m) => m !== json.id);
    this.servers.delete(json.id);
    await this.runHooks(this.deleted, { ...json, status: 'DELETED' }, stored.userData);
  }

  /** Removes a port, disassociating floating IPs and returning its addresses. */
  deletePort(port: Port): void {
    for (const fip of this.floatingIps.values()) {
      if (fip.port_id === port.id) this.associate(fip, null);
    }
    const network = this.networks.get(port.network_id);
    for (const ip of port.fixed_ips) network?.pool.give(ip.ip_address);
    this.ports.delete(port.id);
  }

  /** Power actions: os-stop / os-start. */
  powerAction(id: string, action: 'os-stop' | 'os-start'): void {
    const stored = this.servers.get(id)!;
    const { json } = stored;
    const want = action === 'os-stop' ? 'ACTIVE' : 'SHUTOFF';
    const verb = action === 'os-stop' ? 'stop' : 'start';
    if (json.status !== want || json['OS-EXT-STS:task_state'] !== null) {
      throw new FakeApiError(
        409,
        `Cannot '${verb}' instance ${id} while it is in ${json['OS-EXT-STS:task_state'] ? `task_state ${json['OS-EXT-STS:task_state']}` : `vm_state ${json['OS-EXT-STS:vm_state']}`}`,
      );
    }
    json['OS-EXT-STS:task_state'] = action === 'os-stop' ? 'powering-off' : 'powering-on';
    this.later(this.options.spawnDelayMs ?? 100, () => {
      Object.assign(json, {
        status: action === 'os-stop' ? 'SHUTOFF' : 'ACTIVE',
        'OS-EXT-STS:vm_state': action === 'os-stop' ? 'stopped' : 'active',
        'OS-EXT-STS:task_state': null,
        'OS-EXT-STS:power_state': action === 'os-stop' ? 4 : 1,
        updated: novaTime(),
      });
    });
  }

  // ---- floating IPs ----

  /** Associates a floating IP with a port (or none), updating the server's addresses as Nova shows them. */
  associate(fip: FloatingIp, port: Port | null): void {
    if (fip.port_id) {
      const old = this.ports.get(fip.port_id);
      const server = old ? this.servers.get(old.device_id) : undefined;
      if (server) {
        for (const list of Object.values(server.json.addresses)) {
          const at = list.findIndex((a) => a.addr === fip.floating_ip_address);
          if (at >= 0) list.splice(at, 1);
        }
      }
    }
    fip.port_id = port?.id ?? null;
    fip.fixed_ip_address = port?.fixed_ips[0]?.ip_address ?? null;
    fip.status = port ? 'ACTIVE' : 'DOWN';
    if (!port) return;
    const server = this.servers.get(port.device_id);
    const network = this.networks.get(port.network_id);
    if (server && network) {
      const list = server.json.addresses[network.name] ?? [];
      list.push({
        addr: fip.floating_ip_address,
        version: 4,
        'OS-EXT-IPS:type': 'floating',
        'OS-EXT-IPS-MAC:mac_addr': port.mac_address,
      });
      server.json.addresses[network.name] = list;
    }
  }

  // ---- timers and hooks ----

  later(ms: number, fn: () => void): void {
    if (this.stopped) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.stopped) fn();
    }, ms);
    this.timers.add(t);
  }

  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => this.later(ms, resolve));
  }

  stop(): void {
    this.stopped = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }

  private async runHooks(
    hooks: readonly Hook[],
    server: ServerJson,
    userData: string | undefined,
  ): Promise<void> {
    const results = await Promise.allSettled(hooks.map(async (h) => h(structuredClone(server), userData)));
    for (const r of results) {
      if (r.status === 'rejected')
        this.hookErrors.push(r.reason instanceof Error ? r.reason : new Error(String(r.reason)));
    }
  }
}
