/**
 * The local provider's settings: `[cloud/NAME]` keys `subnet`, `bridge`, `nat` and the node key
 * `image_id`. The config stage validates them already; these checks keep the provider safe when
 * called directly and give the same kind of message.
 */

import { isPrivateIpv4Cidr } from '../../config/schema/formats.js';
import type { CloudSection, NodeSettings } from '../../config/types.js';
import { ConfigError } from '../../errors.js';
import { parseSubnet, type Subnet } from './subnet.js';

/** Images the local provider can build, with what each one holds. */
export const LOCAL_IMAGES = {
  'debian-12': 'Debian 12 minbase with openssh-server, python3, python3-apt, sudo, systemd, iproute2',
  'debian-12-hpc': 'debian-12 plus munge, slurmctld, slurmd, slurm-client, sshfs, fuse3, nfs-common',
} as const;

/** Name of a local image. */
export type LocalImageName = keyof typeof LOCAL_IMAGES;

/** Defaults of the cloud section keys. */
export const LOCAL_DEFAULTS = {
  subnet: '10.77.0.0/24',
  bridge: 'herdbr0',
  nat: true,
  image_id: 'debian-12',
} as const;

/** The cloud section of a local cloud, typed. */
export interface LocalCloudSettings {
  subnet: Subnet;
  bridge: string;
  nat: boolean;
}

/** Reads `subnet`, `bridge`, `nat` from a `[cloud/NAME]` section. */
export function readLocalCloudSettings(cloud: CloudSection): LocalCloudSettings {
  const section = `cloud/${cloud.name}`;
  const s = cloud.settings;
  const problems: { section: string; key: string; message: string }[] = [];
  let subnet: Subnet | undefined;
  try {
    subnet = parseSubnet(String(s['subnet'] ?? LOCAL_DEFAULTS.subnet));
    if (!isPrivateIpv4Cidr(subnet.cidr)) {
      problems.push({ section, key: 'subnet', message: notPrivateMessage(subnet.cidr) });
    }
  } catch (error) {
    problems.push({ section, key: 'subnet', message: (error as Error).message });
  }
  const bridge = String(s['bridge'] ?? LOCAL_DEFAULTS.bridge);
  if (!/^[A-Za-z][A-Za-z0-9_.-]{0,14}$/.test(bridge)) {
    problems.push({
      section,
      key: 'bridge',
      message: `"${bridge}" is not a usable interface name: 1-15 letters, digits, "_", "." or "-", starting with a letter`,
    });
  }
  const rawNat = s['nat'] ?? LOCAL_DEFAULTS.nat;
  const nat = typeof rawNat === 'boolean' ? rawNat : /^(1|yes|true|on)$/i.test(String(rawNat));
  if (problems.length > 0) throw new ConfigError(problems);
  return { subnet: subnet!, bridge, nat };
}

/** Why a public or reserved node subnet is refused, and what to write instead. */
export function notPrivateMessage(cidr: string): string {
  return `${cidr} is not a private network: a bridge on it would take those addresses (other people's servers, a carrier's NAT range) away from this host; use a network inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, e.g. 10.77.0.0/24`;
}

/** The image a kind asks for (`image_id`, default debian-12); a ConfigError lists the known ones. */
export function readImageName(
  settings: Readonly<NodeSettings>,
  where: { cloud: string; kind: string },
): LocalImageName {
  const image =
    settings.image_id === undefined || settings.image_id === '' ? LOCAL_DEFAULTS.image_id : settings.image_id;
  if (Object.hasOwn(LOCAL_IMAGES, image)) return image as LocalImageName;
  throw new ConfigError([
    {
      key: 'image_id',
      message: `kind "${where.kind}": unknown image "${image}" for the local provider (cloud/${where.cloud}); known images: ${Object.keys(LOCAL_IMAGES).join(', ')}`,
    },
  ]);
}

/** Characters nspawn accepts in a machine name (also used for cgroup and directory names). */
export function isValidMachineName(name: string): boolean {
  return /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/.test(name) && !name.includes('..');
}
