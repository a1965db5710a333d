/**
 * Kernel limits that many local nodes share with every other root process on the host. Each node
 * boots its own systemd, which holds about 8 inotify instances (the default limit of 128 per user
 * stops a cluster at about 20 nodes: the others' consoles say "Too many open files"), and every
 * container's neighbour entries count against one host-wide table. Before nodes are created herd
 * raises what the nodes it is about to run need (never lowers anything, and says what it changed);
 * where a limit cannot be raised (a hard kernel limit, or a read-only /proc/sys) it refuses up front
 * with the exact command that fixes it.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HostRequirementError } from '../../errors.js';
import type { Logger } from '../../log.js';
import { cgroupDirs } from './cgroup.js';

/** A sysctl that grows with the number of nodes: `base + perNode * nodes` is what the host needs. */
export interface ScaledLimit {
  /** sysctl name, e.g. `fs.inotify.max_user_instances`. */
  key: string;
  /** Headroom kept for the host's own processes. */
  base: number;
  /** What one node uses, with a margin (measured figures in the README). */
  perNode: number;
}

/**
 * The limits herd raises. Measured per booted Slurm node (12 processes): 8 inotify instances, 30
 * watches, 2-4 neighbour entries (its own and the frontend's), one pty for its console.
 */
export const SCALED_LIMITS: readonly ScaledLimit[] = [
  { key: 'fs.inotify.max_user_instances', base: 64, perNode: 12 },
  { key: 'fs.inotify.max_user_watches', base: 65_536, perNode: 256 },
  { key: 'net.ipv4.neigh.default.gc_thresh3', base: 256, perNode: 8 },
  { key: 'kernel.pid_max', base: 4096, perNode: 64 },
  { key: 'kernel.keys.root_maxkeys', base: 1000, perNode: 64 },
  { key: 'kernel.pty.max', base: 1280, perNode: 2 },
];

/** A Linux bridge takes at most 1024 ports (BR_MAX_PORTS), the host's own side included. */
export const MAX_BRIDGE_NODES = 1023;

/** One change herd makes (or would make). */
export interface LimitChange {
  key: string;
  from: number;
  to: number;
}

/**
 * The limits below what `nodes` local nodes on this host need, and the value each is raised to
 * (rounded up to a multiple of 128). A limit that cannot be read (`undefined`) is left alone.
 */
export function planLimitChanges(
  current: Readonly<Record<string, number | undefined>>,
  nodes: number,
  limits: readonly ScaledLimit[] = SCALED_LIMITS,
): LimitChange[] {
  const changes: LimitChange[] = [];
  for (const limit of limits) {
    const from = current[limit.key];
    if (from === undefined) continue;
    const need = limit.base + limit.perNode * nodes;
    if (from < need) changes.push({ key: limit.key, from, to: Math.ceil(need / 128) * 128 });
  }
  return changes;
}

/** The `sysctl -w` line that makes the changes (what the user runs when herd may not). */
export function sysctlCommand(changes: readonly LimitChange[]): string {
  return `sysctl -w ${changes.map((c) => `${c.key}=${c.to}`).join(' ')}`;
}

/** Where the kernel exposes a sysctl. */
function sysctlPath(key: string, procSys: string): string {
  return join(procSys, ...key.split('.'));
}

/** Reads a numeric sysctl (undefined when the kernel does not have it). */
export function readSysctl(key: string, procSys = '/proc/sys'): number | undefined {
  try {
    const value = Number(readFileSync(sysctlPath(key, procSys), 'utf8').trim());
    return Number.isFinite(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Local nodes running on this host now, of any cluster or storage dir: one cgroup `herd/<machine>` each. */
export function countHostNodes(): number {
  const dir = cgroupDirs('')[0];
  if (!dir || !existsSync(dir)) return 0;
  return readdirSync(dir, { withFileTypes: true }).filter((entry) => entry.isDirectory()).length;
}

/** Options of {@link ensureHostLimits}. */
export interface HostLimitsOptions {
  /** Nodes about to be started by this call. */
  adding: number;
  /** Nodes on the bridge once these are started (leases held plus new ones). */
  onBridge: number;
  bridge: string;
  log: Logger;
  /** Test seams: where sysctls live, how many nodes run, how a value is written. */
  procSys?: string;
  hostNodes?: number;
  write?: (path: string, value: string) => void;
}

/**
 * Makes the host ready for `adding` more local nodes: refuses when the bridge would exceed its port
 * limit, raises the scaled limits the nodes need (logging each change), and throws a
 * HostRequirementError with the exact `sysctl` command when the kernel refuses a change.
 */
export function ensureHostLimits(options: HostLimitsOptions): LimitChange[] {
  const { adding, bridge, log } = options;
  if (options.onBridge > MAX_BRIDGE_NODES) {
    throw new HostRequirementError(
      `Bridge ${bridge} would get ${options.onBridge} nodes; a Linux bridge takes at most ${MAX_BRIDGE_NODES}.`,
      {
        hint: `Start at most ${Math.max(0, MAX_BRIDGE_NODES - (options.onBridge - adding))} more nodes on ${bridge}, or put the others in a cluster whose [cloud/...] section names another bridge and subnet.`,
      },
    );
  }
  const procSys = options.procSys ?? '/proc/sys';
  const total = (options.hostNodes ?? countHostNodes()) + adding;
  const current = Object.fromEntries(SCALED_LIMITS.map((l) => [l.key, readSysctl(l.key, procSys)]));
  const changes = planLimitChanges(current, total);
  if (changes.length === 0) return [];
  const write = options.write ?? ((path: string, value: string) => writeFileSync(path, value));
  const refused: LimitChange[] = [];
  for (const change of changes) {
    try {
      write(sysctlPath(change.key, procSys), `${change.to}\n`);
    } catch {
      refused.push(change);
    }
  }
  if (refused.length > 0) {
    throw new HostRequirementError(
      `${total} local nodes on this host need higher kernel limits, and herd could not raise them: ${refused.map((c) => `${c.key} is ${c.from}, needs ${c.to}`).join('; ')}.`,
      {
        hint: `Run \`${sysctlCommand(refused)}\` as root on the host (or put those lines in /etc/sysctl.d/90-herd.conf), then start again.`,
      },
    );
  }
  log.info(
    `Raised host limits for ${total} local nodes: ${changes.map((c) => `${c.key} ${c.from} -> ${c.to}`).join(', ')} (until reboot; to keep them: ${sysctlCommand(changes)} in /etc/sysctl.d/).`,
  );
  return changes;
}
