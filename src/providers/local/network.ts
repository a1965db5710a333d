/**
 * The host bridge of local nodes and their address leases (NAT: nat.ts).
 *
 * Leases live in a host-wide file `/run/herd/net/<bridge>.json`, not under a storage directory:
 * clusters of several storage directories (each test, each user's HERD_STORAGE) may share one
 * bridge, and must never get the same address. /run is cleared at boot, like the bridge and the
 * nodes themselves. A lease whose node directory is gone is stale and reclaimed. The same lock
 * guards bridge creation and removal, so a cluster's teardown never removes the bridge under a
 * node that another herd process is starting.
 *
 * herd only uses a bridge it created (marked with the interface alias BRIDGE_MARK), only on a
 * private subnet (RFC 1918) that no address and no route of the host overlaps: a bridge on a
 * routed network (a VPN) would take that network's traffic, one on a public range somebody's
 * servers, and an existing bridge (docker0) belongs to another tool.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { isPrivateIpv4Cidr } from '../../config/schema/formats.js';
import { ProviderError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { writeFileAtomic } from '../../state/atomic-file.js';
import { run, tryRun } from './exec.js';
import { withLock } from './lock.js';
import { disableNat, enableNat, legacyNatTable, natTable } from './nat.js';
import { notPrivateMessage } from './settings.js';
import {
  allocateAddress,
  gatewayOf,
  isLoopbackAddress,
  parseHostNetwork,
  type Subnet,
  subnetsOverlap,
} from './subnet.js';

/** Host-wide directory of lease files and the saved ip_forward value. */
export const DEFAULT_RUN_DIR = '/run/herd/net';

/** The interface alias herd gives the bridges it creates; a bridge without it is not herd's. */
export const BRIDGE_MARK = 'herd-bridge';

/** One bridge as a cloud section describes it. */
export interface BridgeNetwork {
  bridge: string;
  subnet: Subnet;
  nat: boolean;
  /** Where lease files live (DEFAULT_RUN_DIR except in tests). */
  runDir: string;
  /** `cloud/NAME`, for messages. */
  section: string;
}

/** An address held by one node. */
export interface Lease {
  machine: string;
  /** The node's directory: the lease is stale once it is gone. */
  nodeDir: string;
}

/** Contents of `<bridge>.json` (version 1: written before bridges were marked and nft names escaped). */
export interface LeaseFile {
  version: 1 | 2;
  bridge: string;
  subnet: string;
  /** herd created the bridge (and so removes it); a bridge the admin made is left alone. */
  createdBridge: boolean;
  nat: boolean;
  /** IP -> holder. */
  leases: Record<string, Lease>;
}

/** Drops leases whose node directory no longer exists (a crashed or removed cluster). */
export function pruneLeases(file: LeaseFile, exists: (path: string) => boolean = existsSync): LeaseFile {
  const leases = Object.fromEntries(Object.entries(file.leases).filter(([, lease]) => exists(lease.nodeDir)));
  return { ...file, leases };
}

/** The address leased to `machine`, if any. */
export function findLease(file: LeaseFile | undefined, machine: string): string | undefined {
  return Object.entries(file?.leases ?? {}).find(([, lease]) => lease.machine === machine)?.[0];
}

/**
 * Gives `machine` an address: its existing lease, else `preferred` when free, else the lowest
 * free one. Throws when the machine name is held by another node directory or the subnet is full.
 */
export function assignLease(
  file: LeaseFile,
  subnet: Subnet,
  lease: Lease,
  preferred?: string,
): { file: LeaseFile; ip: string } {
  const current = findLease(file, lease.machine);
  if (current !== undefined) {
    const holder = file.leases[current]!;
    if (holder.nodeDir === lease.nodeDir) return { file, ip: current };
    throw new ProviderError(
      'LocalMachineNameInUse',
      `Machine name "${lease.machine}" is already used by a node in ${holder.nodeDir} (bridge ${file.bridge}).`,
      {
        hint: 'Clusters created before cluster ids take their machine names from the cluster name alone: two of one name cannot run at once on one host. Stop the other one, or choose another cluster name (-n NAME).',
      },
    );
  }
  const ip = allocateAddress(subnet, new Set(Object.keys(file.leases)), preferred);
  if (ip === undefined) {
    throw new ProviderError(
      'LocalSubnetFull',
      `No free address left in ${subnet.cidr} on bridge ${file.bridge}.`,
      {
        hint: 'Use a larger `subnet` in the cloud section, or stop other local clusters on this bridge.',
      },
    );
  }
  return { file: { ...file, leases: { ...file.leases, [ip]: lease } }, ip };
}

/** Reads a bridge's lease file (undefined when there is none). */
export async function readLeaseFile(runDir: string, bridge: string): Promise<LeaseFile | undefined> {
  try {
    return JSON.parse(await readFile(join(runDir, `${bridge}.json`), 'utf8')) as LeaseFile;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

/** Makes sure the bridge (and NAT) exist; returns the bridge's address. */
export async function ensureBridge(net: BridgeNetwork, log: Logger): Promise<string> {
  await underLock(net, async (file) => ({ file: await setUp(net, file, log), result: undefined }));
  return gatewayOf(net.subnet);
}

/**
 * Leases an address for a node (setting up the bridge first when needed): `preferred` when free;
 * `signal` ends the wait for the bridge's lock.
 */
export async function leaseAddress(
  net: BridgeNetwork,
  lease: Lease,
  log: Logger,
  options: { preferred?: string; signal?: AbortSignal | undefined } = {},
): Promise<string> {
  return underLock(
    net,
    async (file) => {
      const ready = await setUp(net, file, log);
      const assigned = assignLease(ready, net.subnet, lease, options.preferred);
      return { file: assigned.file, result: assigned.ip };
    },
    options.signal,
  );
}

/** Gives a node's address back. */
export async function releaseAddress(net: BridgeNetwork, machine: string): Promise<void> {
  await underLock(net, async (file) => {
    if (!file) return { file, result: undefined };
    const leases = Object.fromEntries(
      Object.entries(file.leases).filter(([, lease]) => lease.machine !== machine),
    );
    return { file: { ...file, leases }, result: undefined };
  });
}

/** Removes the bridge, its NAT table and restores ip_forward when no node holds an address on it any more. */
export async function tearDownIfUnused(net: BridgeNetwork, log: Logger): Promise<boolean> {
  return underLock(net, async (file) => {
    if (!file) return { file, result: false };
    if (Object.keys(file.leases).length > 0) return { file, result: false };
    if (file.createdBridge) await tryRun('ip', ['link', 'delete', file.bridge, 'type', 'bridge']);
    if (file.nat) await disableNat(net.runDir, file.bridge);
    // An older herd named the NAT table without escaping; remove that one too.
    if (file.nat && file.version === 1 && legacyNatTable(file.bridge) !== natTable(file.bridge)) {
      await tryRun('nft', ['delete', 'table', 'ip', legacyNatTable(file.bridge)]);
    }
    log.debug(`Removed bridge ${file.bridge}${file.nat ? ' and its NAT rule' : ''}.`);
    return { file: undefined, result: true };
  });
}

/** The nameserver nodes use: the host's first one, or the bridge address when that is loopback. */
export function chooseNameserver(
  resolvConf: string,
  gateway: string,
): { address: string; loopback: boolean } {
  const first = /^\s*nameserver\s+(\S+)/m.exec(resolvConf)?.[1];
  if (first === undefined || isLoopbackAddress(first))
    return { address: gateway, loopback: first !== undefined };
  return { address: first, loopback: false };
}

/** Runs `change` on the lease file (pruned) under the bridge's lock and saves what it returns. */
async function underLock<T>(
  net: BridgeNetwork,
  change: (file: LeaseFile | undefined) => Promise<{ file: LeaseFile | undefined; result: T }>,
  signal?: AbortSignal,
): Promise<T> {
  await mkdir(net.runDir, { recursive: true, mode: 0o755 });
  const path = join(net.runDir, `${net.bridge}.json`);
  const lockPath = join(net.runDir, `${net.bridge}.lock`);
  // /run is this host's own: temps of dead writers (lease file, lock) go each time the lock is taken.
  const lock = {
    what: `bridge ${net.bridge}`,
    guarded: [path],
    hostLocal: true,
    ...(signal ? { signal } : {}),
  };
  return withLock(lockPath, lock, async () => {
    const before = await readLeaseFile(net.runDir, net.bridge);
    const { file, result } = await change(before && pruneLeases(before));
    if (file === undefined) await rm(path, { force: true });
    else await writeFileAtomic(path, `${JSON.stringify(file, null, 2)}\n`, 0o644);
    return result;
  });
}

/** The bridge's link, or undefined when there is none (only that link: the host may have hundreds). */
async function bridgeLink(bridge: string): Promise<IpLinkEntry | undefined> {
  let text: string;
  try {
    text = await run('ip', ['-j', '-d', 'link', 'show', 'dev', bridge]);
  } catch (error) {
    if (error instanceof ProviderError && /does not exist/i.test(error.message)) return undefined;
    throw error;
  }
  return (JSON.parse(text) as IpLinkEntry[]).find((l) => l.ifname === bridge);
}

interface IpAddrEntry {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

interface IpLinkEntry {
  ifname: string;
  ifalias?: string;
  linkinfo?: { info_kind?: string };
}

interface IpRouteEntry {
  dst: string;
  type?: string;
  gateway?: string;
  dev?: string;
  table?: string;
}

/**
 * Why `subnet` cannot carry a new bridge on a host with these addresses and IPv4 routes (of every
 * table), or undefined. Default routes overlap everything and are not a conflict.
 */
export function subnetConflict(
  subnet: Subnet,
  interfaces: readonly IpAddrEntry[],
  routes: readonly IpRouteEntry[],
): string | undefined {
  for (const i of interfaces) {
    for (const a of (i.addr_info ?? []).filter((x) => x.family === 'inet')) {
      const theirs = parseHostNetwork(a.local, a.prefixlen);
      if (theirs && subnetsOverlap(theirs, subnet)) {
        return `overlaps ${a.local}/${a.prefixlen} on interface ${i.ifname}`;
      }
    }
  }
  for (const r of routes) {
    const theirs = parseHostNetwork(r.dst);
    if (!theirs || theirs.prefix === 0 || !subnetsOverlap(theirs, subnet)) continue;
    const route = [
      r.type && r.type !== 'unicast' ? r.type : '',
      r.dst,
      r.gateway ? `via ${r.gateway}` : '',
      r.dev ? `dev ${r.dev}` : '',
      r.table && r.table !== 'main' ? `table ${r.table}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    return `overlaps the route "${route}": a bridge on it would take that traffic away from ${r.dev ?? 'that route'} (a VPN or another network this host reaches)`;
  }
  return undefined;
}

async function setUp(net: BridgeNetwork, existing: LeaseFile | undefined, log: Logger): Promise<LeaseFile> {
  if (existing && existing.subnet !== net.subnet.cidr) {
    throw new ProviderError(
      'LocalBridgeSubnetMismatch',
      `Bridge ${net.bridge} is in use with subnet ${existing.subnet}, but [${net.section}] asks for ${net.subnet.cidr}.`,
      { hint: `Give [${net.section}] another \`bridge\` name, or the same subnet (${existing.subnet}).` },
    );
  }
  if (!isPrivateIpv4Cidr(net.subnet.cidr)) {
    throw new ProviderError(
      'LocalSubnetNotPrivate',
      `[${net.section}] subnet: ${notPrivateMessage(net.subnet.cidr)}.`,
      {
        hint: `Set subnet= in [${net.section}] to a free private network.`,
      },
    );
  }
  const gateway = gatewayOf(net.subnet);
  const own = await bridgeLink(net.bridge);
  let createdBridge = existing?.createdBridge ?? false;
  if (own) {
    // A bridge of a herd from before the mark: its lease file says herd created it.
    const legacy = existing?.version === 1 && existing.createdBridge;
    if (own.linkinfo?.info_kind !== 'bridge' || (own.ifalias !== BRIDGE_MARK && !legacy)) {
      throw new ProviderError(
        'LocalBridgeNotOwned',
        `Interface ${net.bridge} exists and herd did not create it (it is ${own.linkinfo?.info_kind === 'bridge' ? "a bridge without herd's mark" : `a ${own.linkinfo?.info_kind ?? 'network'} interface`}); herd only uses bridges it created, so that it never leases addresses on, nor removes, an interface another tool manages.`,
        { hint: `Choose another \`bridge\` name in [${net.section}], e.g. herdbr1.` },
      );
    }
    const interfaces = JSON.parse(
      await run('ip', ['-j', 'addr', 'show', 'dev', net.bridge]),
    ) as IpAddrEntry[];
    const v4 = (interfaces[0]?.addr_info ?? []).filter((a) => a.family === 'inet');
    if (!v4.some((a) => a.local === gateway && a.prefixlen === net.subnet.prefix)) {
      throw new ProviderError(
        'LocalBridgeAddressMismatch',
        `Interface ${net.bridge} exists with address ${v4.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'none'}, not ${gateway}/${net.subnet.prefix} as [${net.section}] subnet=${net.subnet.cidr} needs.`,
        {
          hint: `Choose another \`bridge\` name or a \`subnet\` matching ${net.bridge} in [${net.section}].`,
        },
      );
    }
    if (own.ifalias !== BRIDGE_MARK)
      await run('ip', ['link', 'set', 'dev', net.bridge, 'alias', BRIDGE_MARK]);
  } else {
    const interfaces = JSON.parse(await run('ip', ['-j', 'addr', 'show'])) as IpAddrEntry[];
    const routes = JSON.parse(
      await run('ip', ['-4', '-j', 'route', 'show', 'table', 'all']),
    ) as IpRouteEntry[];
    const conflict = subnetConflict(net.subnet, interfaces, routes);
    if (conflict) {
      throw new ProviderError(
        'LocalSubnetInUse',
        `Subnet ${net.subnet.cidr} ([${net.section}] subnet) ${conflict}.`,
        {
          hint: `Choose a free private \`subnet\` in [${net.section}] (check with: ip route show table all).`,
        },
      );
    }
    await run('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    createdBridge = true;
    await run('ip', ['link', 'set', 'dev', net.bridge, 'alias', BRIDGE_MARK]);
    await run('ip', ['addr', 'add', `${gateway}/${net.subnet.prefix}`, 'dev', net.bridge]);
    log.debug(`Created bridge ${net.bridge} with ${gateway}/${net.subnet.prefix}.`);
  }
  await run('ip', ['link', 'set', net.bridge, 'up']);
  const nat = net.nat || (existing?.nat ?? false);
  if (existing?.version === 1 && existing.nat && legacyNatTable(net.bridge) !== natTable(net.bridge)) {
    await tryRun('nft', ['delete', 'table', 'ip', legacyNatTable(net.bridge)]);
  }
  if (net.nat) await enableNat(net.runDir, net.bridge, net.subnet);
  return {
    version: 2,
    bridge: net.bridge,
    subnet: net.subnet.cidr,
    createdBridge,
    nat,
    leases: existing?.leases ?? {},
  };
}
