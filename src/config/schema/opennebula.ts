/**
 * OpenNebula (`provider=opennebula`): the keys of ElastiCluster's OpenNebula provider, each falling
 * back to its ONE_* variable. herd validates them but cannot start nodes on OpenNebula yet.
 */
import { CLOUD_NODE_COMMON } from './common-node-keys.js';
import type { KeySchema, SectionSchema } from './types.js';

/** Schema of `[cloud/NAME]` with provider=opennebula. */
export const OPENNEBULA_CLOUD: SectionSchema = {
  type: 'object',
  description: 'OpenNebula (herd cannot start nodes on it yet).',
  properties: {
    provider: { type: 'string', description: 'opennebula' },
    endpoint: {
      type: 'string',
      format: 'http-url',
      env: ['ONE_URL'],
      default: 'http://localhost:2633/RPC2',
      description: 'XML-RPC endpoint URL; default from ONE_URL.',
      hint: 'write a URL such as http://one.example.org:2633/RPC2',
    },
    username: { type: 'string', minLength: 1, env: ['ONE_USERNAME'], description: 'User name.' },
    password: { type: 'string', minLength: 1, env: ['ONE_PASSWORD'], description: 'Password.' },
  },
  required: ['provider'],
  additionalProperties: false,
};

/** Node keys on OpenNebula. */
export const OPENNEBULA_NODE_KEYS: Readonly<Record<string, KeySchema>> = { ...CLOUD_NODE_COMMON };
