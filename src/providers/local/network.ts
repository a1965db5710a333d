/**
 * The host bridge of local nodes and their address leases (NAT: nat.ts).
 *
 * Leases live in a host-wide file `/run/herd/net/<bridge>.json`, not under a storage directory:
 * clusters of several storage directories (each test, each user's HERD_STORAGE) may share one
 * bridge, and must never get the same address. /run is cleared at boot, like the bridge and the
 * nodes themselves. A lease whose node directory is gone is stale and reclaimed. The same lock
 * guards bridge creation and removal, so a cluster's teardown never removes the bridge under a
 * node that another herd process is starting.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ProviderError } from '../../errors.js';
import type { Logger } from '../types.js';
import { run, tryRun } from './exec.js';
import { withLock } from './lock.js';
import { disableNat, enableNat } from './nat.js';
import {
  allocateAddress,
  gatewayOf,
  isLoopbackAddress,
  parseSubnet,
  type Subnet,
  subnetContains,
  subnetsOverlap,
} from './subnet.js';

/** Host-wide directory of lease files and the saved ip_forward value. */
export const DEFAULT_RUN_DIR = '/run/herd/net';

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

/** Contents of `<bridge>.json`. */
export interface LeaseFile {
  version: 1;
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

/** Leases an address for a node (setting up the bridge first when needed). */
export async function leaseAddress(
  net: BridgeNetwork,
  lease: Lease,
  log: Logger,
  preferred?: string,
): Promise<string> {
  return underLock(net, async (file) => {
    const ready = await setUp(net, file, log);
    const assigned = assignLease(ready, net.subnet, lease, preferred);
    return { file: assigned.file, result: assigned.ip };
  });
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
): Promise<T> {
  await mkdir(net.runDir, { recursive: true, mode: 0o755 });
  const path = join(net.runDir, `${net.bridge}.json`);
  return withLock(join(net.runDir, `${net.bridge}.lock`), { what: `bridge ${net.bridge}` }, async () => {
    const before = await readLeaseFile(net.runDir, net.bridge);
    const { file, result } = await change(before && pruneLeases(before));
    if (file === undefined) await rm(path, { force: true });
    else {
      await writeFile(`${path}.tmp`, `${JSON.stringify(file, null, 2)}\n`, { mode: 0o644 });
      await rename(`${path}.tmp`, path);
    }
    return result;
  });
}

interface IpAddrEntry {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number }[];
}

async function setUp(net: BridgeNetwork, existing: LeaseFile | undefined, log: Logger): Promise<LeaseFile> {
  if (existing && existing.subnet !== net.subnet.cidr) {
    throw new ProviderError(
      'LocalBridgeSubnetMismatch',
      `Bridge ${net.bridge} is in use with subnet ${existing.subnet}, but [${net.section}] asks for ${net.subnet.cidr}.`,
      { hint: `Give [${net.section}] another \`bridge\` name, or the same subnet (${existing.subnet}).` },
    );
  }
  const gateway = gatewayOf(net.subnet);
  const interfaces = JSON.parse(await run('ip', ['-j', 'addr', 'show'])) as IpAddrEntry[];
  const own = interfaces.find((i) => i.ifname === net.bridge);
  let createdBridge = existing?.createdBridge ?? false;
  if (own) {
    const v4 = (own.addr_info ?? []).filter((a) => a.family === 'inet');
    if (!v4.some((a) => a.local === gateway && a.prefixlen === net.subnet.prefix)) {
      throw new ProviderError(
        'LocalBridgeAddressMismatch',
        `Interface ${net.bridge} exists with address ${v4.map((a) => `${a.local}/${a.prefixlen}`).join(', ') || 'none'}, not ${gateway}/${net.subnet.prefix} as [${net.section}] subnet=${net.subnet.cidr} needs.`,
        {
          hint: `Choose another \`bridge\` name or a \`subnet\` matching ${net.bridge} in [${net.section}].`,
        },
      );
    }
  } else {
    for (const other of interfaces) {
      for (const a of (other.addr_info ?? []).filter((x) => x.family === 'inet')) {
        const theirs = parseSubnet(`${a.local}/${a.prefixlen}`);
        if (subnetsOverlap(theirs, net.subnet) || subnetContains(net.subnet, a.local)) {
          throw new ProviderError(
            'LocalSubnetInUse',
            `Subnet ${net.subnet.cidr} ([${net.section}] subnet) overlaps ${a.local}/${a.prefixlen} on interface ${other.ifname}.`,
            {
              hint: `Choose a free \`subnet\` in [${net.section}] (or the bridge name that already carries it).`,
            },
          );
        }
      }
    }
    await run('ip', ['link', 'add', net.bridge, 'type', 'bridge']);
    createdBridge = true;
    await run('ip', ['addr', 'add', `${gateway}/${net.subnet.prefix}`, 'dev', net.bridge]);
    log.debug(`Created bridge ${net.bridge} with ${gateway}/${net.subnet.prefix}.`);
  }
  await run('ip', ['link', 'set', net.bridge, 'up']);
  const nat = net.nat || (existing?.nat ?? false);
  if (net.nat) await enableNat(net.runDir, net.bridge, net.subnet);
  return {
    version: 1,
    bridge: net.bridge,
    subnet: net.subnet.cidr,
    createdBridge,
    nat,
    leases: existing?.leases ?? {},
  };
}
