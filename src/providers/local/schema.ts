/**
 * The local provider's config keys: `[cloud/NAME] provider=local` (its `provider` key is added by the
 * registry, src/providers/registry.ts) and the node keys of local nodes. Defaults and images come
 * from settings.ts, which the provider reads them with.
 */
import { CLOUD_NODE_COMMON } from '../../config/schema/common-node-keys.js';
import type { KeySchema, SectionSchema } from '../../config/schema/types.js';
import { LOCAL_DEFAULTS, LOCAL_IMAGES } from './settings.js';

/** `[cloud/NAME] provider=local`. */
export const LOCAL_CLOUD: SectionSchema = {
  type: 'object',
  description: 'Nodes are systemd-nspawn machines on this host, on a private bridge.',
  properties: {
    subnet: {
      type: 'string',
      format: 'private-ipv4-cidr',
      default: LOCAL_DEFAULTS.subnet,
      description:
        'IPv4 network of the node bridge (CIDR, prefix /8 to /30) inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16.',
      hint: 'write a private IPv4 network (inside 10.0.0.0/8, 172.16.0.0/12 or 192.168.0.0/16, RFC 1918) with a prefix from /8 to /30 that no route of this host uses, e.g. 10.77.0.0/24',
    },
    bridge: {
      type: 'string',
      pattern: '^[A-Za-z][A-Za-z0-9_.-]*$',
      maxLength: 15,
      default: LOCAL_DEFAULTS.bridge,
      description: 'Name of the host bridge (Linux limit: 15 characters).',
      hint: 'start with a letter, then letters, digits, "-", "_" or "." (at most 15 characters), e.g. herdbr0',
    },
    nat: {
      type: 'boolean',
      default: true,
      description: 'Masquerade node traffic so nodes reach the network.',
    },
  },
  additionalProperties: false,
};

/** Node keys of local nodes. */
export const LOCAL_NODE_KEYS: Readonly<Record<string, KeySchema>> = {
  image_id: {
    type: 'string',
    enum: Object.keys(LOCAL_IMAGES),
    default: LOCAL_DEFAULTS.image_id,
    description: 'Local node image: debian-12 (base) or debian-12-hpc (Slurm and NFS packages preinstalled).',
  },
  flavor: {
    type: 'string',
    description: 'Accepted for compatibility and ignored: local nodes share the host.',
  },
  security_group: {
    type: 'string',
    description: 'Accepted for compatibility and ignored: local nodes have no firewall.',
  },
  image_userdata: {
    ...CLOUD_NODE_COMMON['image_userdata']!,
    description: 'Script run once as root at first boot, before sshd starts.',
  },
};
