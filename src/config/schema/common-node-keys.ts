/** Node keys every cloud provider shares (the local provider has its own variants). */
import type { KeySchema } from './types.js';

/** `image_id`, `flavor`, `security_group`, `image_userdata`, `network_ids`. */
export const CLOUD_NODE_COMMON: Readonly<Record<string, KeySchema>> = {
  image_id: {
    type: 'string',
    minLength: 1,
    description: 'Image (AMI, GCE image, Glance image) the nodes boot.',
  },
  flavor: {
    type: 'string',
    minLength: 1,
    description: 'Instance type / machine type / flavor.',
  },
  security_group: {
    type: 'string',
    minLength: 1,
    description: 'Security group (firewall rules) of the nodes.',
  },
  image_userdata: {
    type: 'string',
    description: 'Script run as root when the node first boots.',
  },
  network_ids: {
    type: 'string',
    description: 'Comma-separated network (subnet) ids the nodes attach to.',
  },
};
