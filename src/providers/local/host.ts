/** Checks that this host can run local nodes: root, and the tools herd drives. */
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { HostRequirementError } from '../../errors.js';

/** Tool -> Debian package that provides it. */
export const TOOL_PACKAGES: Readonly<Record<string, string>> = {
  'systemd-nspawn': 'systemd-container',
  ip: 'iproute2',
  nft: 'nftables',
  zstd: 'zstd',
  tar: 'tar',
  mount: 'mount',
  umount: 'mount',
  useradd: 'passwd',
  chroot: 'coreutils',
  debootstrap: 'debootstrap',
};

/** Tools every node operation needs (debootstrap only matters when an image is built). */
export const NODE_TOOLS = [
  'systemd-nspawn',
  'ip',
  'nft',
  'zstd',
  'tar',
  'mount',
  'umount',
  'useradd',
  'chroot',
];

/** Whether an executable of that name is on PATH (or in the sbin directories root's PATH has). */
export function findTool(name: string, path = process.env['PATH'] ?? ''): string | undefined {
  const dirs = [...path.split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/bin', '/bin'];
  for (const dir of dirs.filter(Boolean)) {
    try {
      accessSync(join(dir, name), constants.X_OK);
      return join(dir, name);
    } catch {}
  }
  return undefined;
}

/** Throws a HostRequirementError unless herd runs as root. */
export function requireRoot(uid = process.getuid?.() ?? 0): void {
  if (uid !== 0) {
    throw new HostRequirementError(
      'The local provider needs root: it mounts overlay filesystems, creates a network bridge and starts systemd-nspawn containers.',
      { hint: 'Run herd as root (e.g. `sudo herd ...`).' },
    );
  }
}

/** Throws a HostRequirementError naming the Debian packages of every missing tool. */
export function requireTools(
  tools: readonly string[],
  lookup: (name: string) => string | undefined = findTool,
): void {
  const missing = tools.filter((tool) => lookup(tool) === undefined);
  if (missing.length === 0) return;
  const packages = [...new Set(missing.map((tool) => TOOL_PACKAGES[tool] ?? tool))];
  throw new HostRequirementError(
    `The local provider needs ${missing.map((t) => `\`${t}\``).join(', ')}, not found on this host.`,
    { hint: `Install with: apt-get install -y ${packages.join(' ')}` },
  );
}
