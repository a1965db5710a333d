/**
 * NAT for a node bridge, so nodes reach the Debian mirror: an nft table `ip herd_<bridge>` that
 * masquerades what the bridge's subnet sends out through another interface, and ip_forward=1.
 * Forwarding is limited to herd's bridges: when ip_forward was off before herd turned it on, a
 * table `ip herd_forward` lets through only traffic from a herd bridge and the replies to it, so
 * the host does not start routing between its other networks. Frames bridged inside another
 * bridge of the host (libvirt's, Docker's, LXC's) are not routing and keep passing: with
 * br_netfilter and bridge-nf-call-iptables=1 (Docker and Kubernetes hosts) they too cross the ip
 * forward hook, and a plain policy drop cut VMs on such a bridge off from each other while a herd
 * cluster ran (see `forwardFilterRules`). The host's previous ip_forward value is saved host-wide
 * (`<runDir>/ip_forward.json`, with the bridges that need forwarding) and restored, and the filter
 * removed, when the last of them goes.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../../state/atomic-file.js';
import { run, tryRun } from './exec.js';
import { withLock } from './lock.js';
import type { Subnet } from './subnet.js';

/**
 * The nft table herd uses for a bridge's masquerade rule: `herd_` and the bridge name with every
 * character other than a letter or digit written as `_` and its hex code, so that two bridge names
 * never share a table (`a-b`, `a_b` and `a.b` once all became `herd_a_b`).
 */
export function natTable(bridge: string): string {
  return `herd_${bridge.replace(/[^A-Za-z0-9]/g, (c) => `_${c.charCodeAt(0).toString(16).padStart(2, '0')}`)}`;
}

/** The table name an older herd used (not injective); only for removing its tables. */
export function legacyNatTable(bridge: string): string {
  return `herd_${bridge.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The table that keeps forwarding to herd's bridges. */
export const FORWARD_TABLE = 'herd_forward';

/** Removes a bridge's NAT table and gives back its hold on ip_forward. */
export async function disableNat(runDir: string, bridge: string): Promise<void> {
  await tryRun('nft', ['delete', 'table', 'ip', natTable(bridge)]);
  await releaseIpForward(runDir, bridge);
}

/** Masquerades the subnet's traffic leaving the host and turns on forwarding (idempotent). */
export async function enableNat(runDir: string, bridge: string, subnet: Subnet): Promise<void> {
  const table = natTable(bridge);
  // Declare, delete and re-create in one transaction: idempotent, and never a moment without the rule.
  const rules = [
    `table ip ${table} {}`,
    `delete table ip ${table}`,
    `table ip ${table} {`,
    '  chain postrouting {',
    '    type nat hook postrouting priority srcnat; policy accept;',
    `    iifname "${bridge}" ip saddr ${subnet.cidr} oifname != "${bridge}" masquerade`,
    '  }',
    '}',
  ];
  await run('nft', ['-f', '-'], { input: `${rules.join('\n')}\n` });
  await holdIpForward(runDir, bridge);
}

/** The filter's set of bridges that carried bridged frames lately, and its bounds. */
export const BRIDGED_SET = 'bridged';
export const BRIDGED_SET_SIZE = 1024;

/**
 * The rules of the forward filter for `bridges`: traffic from a herd bridge, and replies to it,
 * pass; so do frames bridged inside any other bridge; every other forwarded packet is dropped, as
 * it was before herd turned forwarding on.
 *
 * Bridged, not routed: br_netfilter hands a bridged frame to this hook with the bridge as both
 * input and output interface, and a routed packet comes in on one interface and leaves by another.
 * nft cannot compare two fields of a packet, and `meta ibrname` (the bridge port) exists only in
 * the bridge family (Linux refuses it in an ip table), so a dynamic set does the comparison: the
 * last rule adds the pair (input bridge . input bridge) and then looks up (input . output), which
 * is in the set exactly when both are the same bridge. (A bridge-family chain could mark bridged
 * frames instead, but packet marks belong to other firewalls: kube-proxy, Calico, Docker.) Only
 * bridges are added (`iifkind`); an entry lasts a minute after its bridge's last frame, so bridges
 * that come and go do not pile up. A full set (that many bridges busy within a minute) drops the
 * frames of a bridge not in it yet until an entry expires; bridges already in it keep working. A
 * packet routed back out of the bridge it came in on (two subnets on one bridge) passes too: it
 * never leaves that bridge's network.
 */
export function forwardFilterRules(bridges: readonly string[]): string {
  const set = `{ ${bridges.map((b) => `"${b}"`).join(', ')} }`;
  return [
    `table ip ${FORWARD_TABLE} {}`,
    `delete table ip ${FORWARD_TABLE}`,
    `table ip ${FORWARD_TABLE} {`,
    `  set ${BRIDGED_SET} {`,
    '    type iface_index . iface_index',
    `    size ${BRIDGED_SET_SIZE}`,
    '    flags dynamic,timeout',
    '    timeout 1m',
    '  }',
    '  chain forward {',
    '    type filter hook forward priority filter; policy drop;',
    `    iifname ${set} accept`,
    `    oifname ${set} ct state established,related accept`,
    `    meta iifkind "bridge" update @${BRIDGED_SET} { meta iif . meta iif } meta iif . meta oif @${BRIDGED_SET} accept comment "bridged inside one bridge, not routed"`,
    '  }',
    '}',
    '',
  ].join('\n');
}

interface IpForwardFile {
  /** ip_forward before herd first changed it. */
  before: string;
  /** Bridges with NAT that need forwarding. */
  users: string[];
}

const IP_FORWARD = '/proc/sys/net/ipv4/ip_forward';

/** Turns forwarding on for a bridge, remembering the host's value the first time. */
async function holdIpForward(runDir: string, bridge: string): Promise<void> {
  await withIpForwardFile(runDir, async (file) => {
    const current = (await readFile(IP_FORWARD, 'utf8')).trim();
    const next = file ?? { before: current, users: [] };
    if (!next.users.includes(bridge)) next.users.push(bridge);
    // Only forwarding herd turned on is limited: an admin who routes already keeps doing so.
    if (next.before !== '1') await run('nft', ['-f', '-'], { input: forwardFilterRules(next.users) });
    if (current !== '1') await writeFile(IP_FORWARD, '1');
    return next;
  });
}

/** Restores the host's ip_forward once no herd bridge needs it. */
async function releaseIpForward(runDir: string, bridge: string): Promise<void> {
  await withIpForwardFile(runDir, async (file) => {
    if (!file) return undefined;
    const users = file.users.filter((b) => b !== bridge);
    if (users.length > 0) {
      if (file.before !== '1') await run('nft', ['-f', '-'], { input: forwardFilterRules(users) });
      return { ...file, users };
    }
    await writeFile(IP_FORWARD, file.before);
    await tryRun('nft', ['delete', 'table', 'ip', FORWARD_TABLE]);
    return undefined;
  });
}

async function withIpForwardFile(
  runDir: string,
  change: (file: IpForwardFile | undefined) => Promise<IpForwardFile | undefined>,
): Promise<void> {
  const path = join(runDir, 'ip_forward.json');
  const lock = { what: 'ip_forward', guarded: [path], hostLocal: true };
  await withLock(join(runDir, 'ip_forward.lock'), lock, async () => {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    const next = await change(text === undefined ? undefined : (JSON.parse(text) as IpForwardFile));
    if (next === undefined) await rm(path, { force: true });
    else await writeFileAtomic(path, `${JSON.stringify(next)}\n`, 0o644);
  });
}
