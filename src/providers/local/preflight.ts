/**
 * The local provider's read-only preflight: can this host run nodes (root, tools, kernel features),
 * which images are cached or would be built, whether the bridge exists and has free addresses. It
 * reads /proc, /sys, the image cache and the lease file; it creates nothing.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError, HerdError } from '../../errors.js';
import type { PlannedResource, PreflightCheck, PreflightReport, PreflightRequest } from '../types.js';
import { findTool, NODE_TOOLS, TOOL_PACKAGES } from './host.js';
import {
  countHostNodes,
  MAX_BRIDGE_NODES,
  planLimitChanges,
  readSysctl,
  SCALED_LIMITS,
  sysctlCommand,
} from './host-limits.js';
import { imageCacheKey } from './image.js';
import { findHostMirror } from './mirror.js';
import { type BridgeNetwork, pruneLeases, readLeaseFile } from './network.js';
import { LOCAL_IMAGES, type LocalImageName, readImageName } from './settings.js';

/** What the preflight reads; tests point it at other places. */
export interface LocalHost {
  uid: number;
  findTool: (name: string) => string | undefined;
  /** Contents of /proc/filesystems. */
  filesystems: () => Promise<string>;
  exists: (path: string) => boolean;
  kernelRelease: () => Promise<string>;
  /** A numeric sysctl and the local nodes running on the host; without them limits are not checked. */
  sysctl?: (key: string) => number | undefined;
  hostNodes?: () => number;
}

/** This machine. */
export const thisHost: LocalHost = {
  uid: process.getuid?.() ?? 0,
  findTool: (name) => findTool(name),
  filesystems: () => readFile('/proc/filesystems', 'utf8'),
  exists: existsSync,
  kernelRelease: async () => (await readFile('/proc/sys/kernel/osrelease', 'utf8')).trim(),
  sysctl: (key) => readSysctl(key),
  hostNodes: countHostNodes,
};

/** Runs the local preflight for a cloud section's network and image cache. */
export async function localPreflight(
  request: PreflightRequest,
  net: BridgeNetwork,
  cacheDir: string,
  host: LocalHost = thisHost,
): Promise<PreflightReport> {
  const checks: PreflightCheck[] = [...(await hostChecks(host))];
  const resources: PlannedResource[] = [];
  const images = new Set<LocalImageName>();
  const kinds: PreflightReport['kinds'] = [];
  for (const kind of request.kinds) {
    try {
      const image = readImageName(kind.settings, {
        cloud: net.section.replace(/^cloud\//, ''),
        kind: kind.kind,
      });
      images.add(image);
      kinds.push({
        kind: kind.kind,
        image,
        placement: `bridge ${net.bridge} (${net.subnet.cidr})`,
        securityGroups: [],
      });
      checks.push({
        id: 'image',
        status: 'ok',
        kind: kind.kind,
        message: `image_id=${image}: ${LOCAL_IMAGES[image]}`,
      });
    } catch (error) {
      checks.push(failure('image', error, kind.kind));
    }
    for (const key of ['flavor', 'security_group'] as const) {
      if (kind.settings[key] !== undefined) {
        checks.push({
          id: key === 'flavor' ? 'flavor' : 'security-group',
          status: 'ok',
          kind: kind.kind,
          message: `${key}=${kind.settings[key]} is ignored by the local provider (nodes share this host)`,
        });
      }
    }
  }
  for (const image of images) resources.push(...(await imagePlan(image, cacheDir, host, checks)));
  if (request.kinds.length > 0 || host.exists(`/sys/class/net/${net.bridge}`)) {
    resources.push(...(await networkPlan(request, net, host, checks)));
  }
  const limits = request.kinds.length > 0 ? await limitsCheck(request, net, host) : undefined;
  if (limits) checks.push(limits);
  return { checks, kinds, resources };
}

/** The kernel limits `start` would raise for the new nodes (host-limits.ts), or why it would refuse. */
async function limitsCheck(
  request: PreflightRequest,
  net: BridgeNetwork,
  host: LocalHost,
): Promise<PreflightCheck | undefined> {
  const { sysctl, hostNodes } = host;
  if (!sysctl || !hostNodes) return undefined;
  const adding = request.kinds.reduce((sum, kind) => sum + kind.count, 0);
  const leases = await readLeaseFile(net.runDir, net.bridge).catch(() => undefined);
  const onBridge = Object.keys(leases?.leases ?? {}).length + adding;
  if (onBridge > MAX_BRIDGE_NODES) {
    return {
      id: 'host-limits',
      status: 'fail',
      message: `bridge ${net.bridge} would get ${onBridge} nodes; a Linux bridge takes at most ${MAX_BRIDGE_NODES}`,
      hint: 'Put the other nodes in a cluster whose [cloud/...] section names another bridge and subnet.',
    };
  }
  const total = hostNodes() + adding;
  const current = Object.fromEntries(SCALED_LIMITS.map((limit) => [limit.key, sysctl(limit.key)]));
  const changes = planLimitChanges(current, total);
  if (changes.length === 0)
    return { id: 'host-limits', status: 'ok', message: `kernel limits suffice for ${total} local nodes` };
  return {
    id: 'host-limits',
    status: 'warn',
    message: `start raises ${changes.map((c) => `${c.key} ${c.from} -> ${c.to}`).join(', ')} for ${total} local nodes (until reboot)`,
    hint: `To keep them, or where herd may not change them: ${sysctlCommand(changes)}`,
  };
}

/** Root, the tools herd runs, overlayfs, and NFS or FUSE for the shared /home. */
async function hostChecks(host: LocalHost): Promise<PreflightCheck[]> {
  const checks: PreflightCheck[] = [];
  checks.push(
    host.uid === 0
      ? { id: 'host-root', status: 'ok', message: 'running as root' }
      : {
          id: 'host-root',
          status: 'fail',
          message: 'not running as root: local nodes need mounts, a bridge and systemd-nspawn',
          hint: 'Run herd as root (e.g. sudo herd ...).',
        },
  );
  const missing = NODE_TOOLS.filter((tool) => host.findTool(tool) === undefined);
  checks.push(
    missing.length === 0
      ? { id: 'host-tools', status: 'ok', message: `found ${NODE_TOOLS.join(', ')}` }
      : {
          id: 'host-tools',
          status: 'fail',
          message: `missing ${missing.join(', ')}`,
          hint: `apt-get install -y ${[...new Set(missing.map((t) => TOOL_PACKAGES[t] ?? t))].join(' ')}`,
        },
  );
  const filesystems = await host.filesystems().catch(() => '');
  const has = (fs: string) => new RegExp(`\\s${fs}$`, 'm').test(filesystems);
  const release = await host.kernelRelease().catch(() => '');
  const module = (path: string) =>
    ['', '.xz', '.zst', '.gz'].some((ext) => host.exists(`/lib/modules/${release}/kernel/fs/${path}${ext}`));
  checks.push(
    has('overlay') || module('overlayfs/overlay.ko')
      ? { id: 'kernel-overlayfs', status: 'ok', message: 'the kernel has overlayfs' }
      : {
          id: 'kernel-overlayfs',
          status: 'fail',
          message: 'the kernel has no overlayfs (not in /proc/filesystems, no module)',
          hint: 'Load it with "modprobe overlay", or run herd on a kernel built with CONFIG_OVERLAY_FS.',
        },
  );
  const nfs = has('nfs') || has('nfs4') || module('nfs/nfs.ko');
  const fuse = host.exists('/dev/fuse');
  checks.push(
    nfs || fuse
      ? {
          id: 'kernel-shared-fs',
          status: 'ok',
          message: `shared /home over ${nfs ? 'NFS' : 'sshfs (FUSE)'}${nfs && fuse ? '; FUSE is there too' : ''}${!nfs ? '; no NFS in this kernel' : ''}`,
        }
      : {
          id: 'kernel-shared-fs',
          status: 'fail',
          message: 'neither NFS nor FUSE (/dev/fuse) is available: the playbooks cannot share /home',
          hint: 'Load the fuse module ("modprobe fuse") or a kernel with NFS.',
        },
  );
  return checks;
}

/** A cached image is used; a missing one is built (debootstrap and the host's mirror needed). */
async function imagePlan(
  image: LocalImageName,
  cacheDir: string,
  host: LocalHost,
  checks: PreflightCheck[],
): Promise<PlannedResource[]> {
  const key = imageCacheKey(image);
  if (host.exists(join(cacheDir, key)) || host.exists(join(cacheDir, `${key}.tar.zst`))) {
    return [{ type: 'image', name: key, action: 'use', detail: `cached in ${cacheDir}` }];
  }
  const planned: PlannedResource[] = [];
  const base = image === 'debian-12' ? [] : await imagePlan('debian-12', cacheDir, host, checks);
  planned.push(...base.filter((r) => r.action === 'create'));
  planned.push({
    type: 'image',
    name: key,
    action: 'create',
    detail: `built with debootstrap into ${cacheDir} (1-2 minutes, once)`,
  });
  if (image === 'debian-12') {
    if (host.findTool('debootstrap') === undefined) {
      checks.push({
        id: 'image-build',
        status: 'fail',
        message: 'the image must be built, but debootstrap is missing',
        hint: 'apt-get install -y debootstrap',
      });
    }
    try {
      const { mirror } = await findHostMirror('bookworm');
      checks.push({
        id: 'image-build',
        status: 'ok',
        message: `images are built from the host's mirror ${mirror}`,
      });
    } catch (error) {
      checks.push(failure('image-build', error));
    }
  }
  return planned;
}

/** The bridge (used or created, with NAT) and whether its subnet has room for the new nodes. */
async function networkPlan(
  request: PreflightRequest,
  net: BridgeNetwork,
  host: LocalHost,
  checks: PreflightCheck[],
): Promise<PlannedResource[]> {
  const exists = host.exists(`/sys/class/net/${net.bridge}`);
  const resources: PlannedResource[] = [
    {
      type: 'bridge',
      name: net.bridge,
      action: exists ? 'use' : 'create',
      detail: `${net.subnet.cidr}${net.nat && !exists ? ', with NAT to reach the Debian mirror' : ''}`,
    },
  ];
  const file = await readLeaseFile(net.runDir, net.bridge).catch(() => undefined);
  const taken = file ? Object.keys(pruneLeases(file, host.exists).leases).length : 0;
  const capacity = 2 ** (32 - net.subnet.prefix) - 3;
  const wanted = request.kinds.reduce((n, k) => n + k.count, 0);
  const free = capacity - taken;
  checks.push(
    wanted <= free
      ? {
          id: 'addresses',
          status: 'ok',
          message: `${net.subnet.cidr} has ${free} free address(es) for ${wanted} new node(s)`,
        }
      : {
          id: 'addresses',
          status: 'fail',
          message: `${net.subnet.cidr} has ${free} free address(es), ${wanted} new node(s) need one each`,
          hint: `Use a larger subnet in [${net.section}], or stop other local clusters on bridge ${net.bridge}.`,
        },
  );
  return resources;
}

function failure(id: string, error: unknown, kind?: string): PreflightCheck {
  const message =
    error instanceof ConfigError
      ? error.problems.map((p) => `${p.key ? `${p.key}: ` : ''}${p.message}`).join('; ')
      : error instanceof Error
        ? error.message
        : String(error);
  const hint = error instanceof HerdError ? error.hint : undefined;
  return { id, status: 'fail', message, ...(hint ? { hint } : {}), ...(kind ? { kind } : {}) };
}
