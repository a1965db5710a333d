/** `[cluster/NAME]` and `[cluster/NAME/KIND]` schemas, built from the node keys of each provider. */

import { CLOUD_SCHEMAS, NODE_KEYS, PROVIDERS } from '../../providers/registry.js';
import { MAX_NODES_PER_KIND } from '../kinds.js';
import type { ProviderName } from '../types.js';
import type { KeySchema, SectionSchema } from './types.js';

/** Keys of `[cluster/NAME]` that are not node settings. */
export const CLUSTER_KEYS: Readonly<Record<string, KeySchema>> = {
  cloud: { type: 'string', minLength: 1, description: 'Name of the [cloud/NAME] section.' },
  login: { type: 'string', minLength: 1, description: 'Name of the [login/NAME] section.' },
  setup: {
    type: 'string',
    minLength: 1,
    description: 'Name of the [setup/NAME] section (old name: setup_provider).',
  },
  ssh_to: { type: 'string', minLength: 1, description: 'Kind (or node name) that `herd ssh` connects to.' },
  ssh_probe_timeout: {
    type: 'integer',
    minimum: 1,
    default: 5,
    description: 'Seconds one SSH probe may take.',
  },
  start_timeout: {
    type: 'integer',
    minimum: 1,
    default: 600,
    description: 'Seconds a start may take until every node answers SSH.',
  },
  ssh_address: {
    type: 'string',
    enum: ['auto', 'private', 'public'],
    default: 'auto',
    description:
      'Which node address herd connects to: private (VPN, bastion, same network), public, or auto (both, private preferred).',
  },
  ssh_proxy_command: {
    type: 'string',
    minLength: 1,
    description: 'SSH ProxyCommand; %h %p %r are expanded.',
  },
  idle_stop_minutes: {
    type: 'number',
    minimum: 0,
    description:
      'Minutes without a Slurm job or SSH session on the frontend after which the cluster powers itself off (herd resume starts it again); 0 = never (the default); fractions allowed (0.5 = 30 s).',
  },
  idle_action: {
    type: 'string',
    enum: ['stop', 'terminate'],
    description:
      'What idle_stop_minutes does with the nodes: stop (default; disks kept, herd resume) or terminate (EC2 only; everything outside /home of the frontend is lost).',
  },
  thread_pool_max_size: {
    type: 'integer',
    minimum: 1,
    description:
      "ElastiCluster's number of threads starting VMs; accepted and ignored (herd starts each kind with one API call).",
  },
};

/** Key families of `[cluster/NAME]`. */
export const CLUSTER_PATTERNS: Readonly<Record<string, KeySchema>> = {
  '^.+_nodes$': {
    type: 'integer',
    minimum: 0,
    maximum: MAX_NODES_PER_KIND,
    description: '<kind>_nodes: how many nodes of that kind.',
  },
  '^.+_nodes_min$': {
    type: 'integer',
    minimum: 0,
    maximum: MAX_NODES_PER_KIND,
    description: '<kind>_nodes_min: start fails if fewer nodes of that kind come up (default: <kind>_nodes).',
  },
  '^.+_var_.+$': { type: 'string', description: '<kind>_var_<name> / global_var_<name>: Ansible variables.' },
};

function withoutDefault(schema: KeySchema): KeySchema {
  const { default: _ignored, ...rest } = schema;
  return rest;
}

/**
 * The node keys of the other providers, typed as there (defaults dropped; only the type where the
 * providers disagree). ElastiCluster checks one cluster schema whatever the cloud, so a key of
 * another cloud is accepted with a warning that this provider does not use it.
 */
function otherProvidersNodeKeys(provider: ProviderName): Record<string, KeySchema> {
  const own = NODE_KEYS[provider];
  const out: Record<string, KeySchema> = {};
  for (const key of new Set(PROVIDERS.flatMap((p) => Object.keys(NODE_KEYS[p])))) {
    if (Object.hasOwn(own, key)) continue;
    const users = PROVIDERS.filter((p) => Object.hasOwn(NODE_KEYS[p], key));
    const schemas = users.map((p) => withoutDefault(NODE_KEYS[p][key]!));
    const first = schemas[0]!;
    const agree = schemas.every((s) => JSON.stringify(s) === JSON.stringify(first));
    const cloudKey = Object.hasOwn(CLOUD_SCHEMAS[provider].properties, key);
    out[key] = {
      ...(agree ? first : { type: first.type, description: first.description }),
      warn: `is not used by provider ${provider} (only by ${users.join(', ')}); herd ignores it here${
        cloudKey ? `; for ${provider} set ${key} in the [cloud/NAME] section` : ''
      }`,
    };
  }
  return out;
}

const clusterCache = new Map<ProviderName, SectionSchema>();
const nodeCache = new Map<ProviderName, SectionSchema>();

/** Schema of `[cluster/NAME]` for a provider (cluster keys, node keys with defaults, key families). */
export function clusterSchema(provider: ProviderName): SectionSchema {
  let schema = clusterCache.get(provider);
  if (!schema) {
    schema = {
      type: 'object',
      description: `A cluster template on a ${provider} cloud.`,
      properties: { ...CLUSTER_KEYS, ...otherProvidersNodeKeys(provider), ...NODE_KEYS[provider] },
      patternProperties: CLUSTER_PATTERNS,
      required: ['cloud', 'login', 'setup'],
      additionalProperties: false,
    };
    clusterCache.set(provider, schema);
  }
  return schema;
}

/**
 * Schema of `[cluster/NAME/KIND]` for a provider: node keys without defaults, so that an override
 * section never resets a value set in `[cluster/NAME]`.
 */
export function nodeSchema(provider: ProviderName): SectionSchema {
  let schema = nodeCache.get(provider);
  if (!schema) {
    const properties = {
      ...otherProvidersNodeKeys(provider),
      ...Object.fromEntries(Object.entries(NODE_KEYS[provider]).map(([k, v]) => [k, withoutDefault(v)])),
    };
    schema = {
      type: 'object',
      description: `Per-kind node settings on a ${provider} cloud.`,
      properties,
      additionalProperties: false,
    };
    nodeCache.set(provider, schema);
  }
  return schema;
}

let looseNodeKeys: Record<string, KeySchema> | undefined;

/** Node keys of every provider, type only: used while the cloud section's provider is unknown. */
function anyProviderNodeKeys(): Record<string, KeySchema> {
  looseNodeKeys ??= Object.fromEntries(
    Object.values(NODE_KEYS).flatMap((keys) =>
      Object.entries(keys).map(([k, v]) => [k, { type: v.type, description: v.description }]),
    ),
  );
  return looseNodeKeys;
}

let looseCluster: SectionSchema | undefined;
let looseNode: SectionSchema | undefined;

/** `[cluster/NAME]` schema when the provider is unknown (its cloud section is missing or broken). */
export function anyProviderClusterSchema(): SectionSchema {
  looseCluster ??= {
    ...clusterSchema('local'),
    description: 'A cluster template whose provider is unknown.',
    properties: { ...CLUSTER_KEYS, ...anyProviderNodeKeys() },
  };
  return looseCluster;
}

/** `[cluster/NAME/KIND]` schema when the provider is unknown. */
export function anyProviderNodeSchema(): SectionSchema {
  looseNode ??= {
    ...nodeSchema('local'),
    description: 'Per-kind settings.',
    properties: anyProviderNodeKeys(),
  };
  return looseNode;
}
