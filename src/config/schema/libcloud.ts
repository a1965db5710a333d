/**
 * Apache Libcloud (`provider=libcloud`): ElastiCluster passes every key of the cloud section to the
 * libcloud driver named by `driver_name`, so any key is accepted there. herd validates the
 * template but cannot start nodes through libcloud.
 */
import { CLOUD_NODE_COMMON } from './common-node-keys.js';
import type { KeySchema, SectionSchema } from './types.js';

/** Schema of `[cloud/NAME]` with provider=libcloud. */
export const LIBCLOUD_CLOUD: SectionSchema = {
  type: 'object',
  description: 'A cloud reached through Apache Libcloud (herd cannot start nodes on it yet).',
  properties: {
    provider: { type: 'string', description: 'libcloud' },
    driver_name: {
      type: 'string',
      minLength: 1,
      description: 'Libcloud provider constant, e.g. openstack or digitalocean.',
    },
  },
  patternProperties: {
    '^.+$': { type: 'string', description: 'An argument of the libcloud driver, by its own name.' },
  },
  required: ['provider', 'driver_name'],
  additionalProperties: false,
};

/** Node keys with libcloud. */
export const LIBCLOUD_NODE_KEYS: Readonly<Record<string, KeySchema>> = {
  ...CLOUD_NODE_COMMON,
  image_user_password: { type: 'string', description: 'Password of image_user, for drivers that need one.' },
};
